# Stand-in for buildpack-deps:bookworm (no registry here): the package set dockerdiet's graph holds for
# it (bot/estimate/data PROVENANCE: buildpack-deps-12, the closure of docker-library/buildpack-deps'
# debian/bookworm/{curl,scm,}/Dockerfile lists), installed on the local debian:bookworm. Round 3 only.
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
    autoconf automake autotools-dev binutils binutils-common binutils-x86-64-linux-gnu bzip2 \
    ca-certificates comerr-dev cpp cpp-12 curl default-libmysqlclient-dev dirmngr dpkg-dev file \
    fontconfig fontconfig-config fonts-dejavu-core g++ g++-12 gcc gcc-12 gir1.2-freedesktop \
    gir1.2-gdkpixbuf-2.0 gir1.2-glib-2.0 gir1.2-rsvg-2.0 git git-lfs git-man gnupg gnupg-l10n \
    gnupg-utils gpg gpg-agent gpg-wks-client gpg-wks-server gpgconf gpgsm hicolor-icon-theme \
    icu-devtools imagemagick imagemagick-6-common imagemagick-6.q16 krb5-multidev libaom3 libapr1 \
    libaprutil1 libasan8 libassuan0 libatomic1 libbinutils libblkid-dev libbrotli-dev libbrotli1 \
    libbsd0 libbz2-dev libc-dev-bin libc6-dev libcairo-gobject2 libcairo-script-interpreter2 libcairo2 \
    libcairo2-dev libcbor0.8 libcc1-0 libcrypt-dev libctf-nobfd0 libctf0 libcurl3-gnutls libcurl4 \
    libcurl4-openssl-dev libdatrie1 libdav1d6 libdb-dev libdb5.3-dev libde265-0 libdeflate-dev \
    libdeflate0 libdjvulibre-dev libdjvulibre-text libdjvulibre21 libdpkg-perl libedit2 libelf1 \
    liberror-perl libevent-2.1-7 libevent-core-2.1-7 libevent-dev libevent-extra-2.1-7 \
    libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libexif-dev libexif12 libexpat1 libexpat1-dev \
    libffi-dev libfftw3-double3 libfido2-1 libfontconfig-dev libfontconfig1 libfreetype-dev \
    libfreetype6 libfreetype6-dev libfribidi0 libgcc-12-dev libgdbm-compat4 libgdbm-dev libgdbm6 \
    libgdk-pixbuf-2.0-0 libgdk-pixbuf-2.0-dev libgdk-pixbuf2.0-bin libgdk-pixbuf2.0-common \
    libgirepository-1.0-1 libglib2.0-0 libglib2.0-bin libglib2.0-data libglib2.0-dev libglib2.0-dev-bin \
    libgmp-dev libgmpxx4ldbl libgomp1 libgprofng0 libgraphite2-3 libgssapi-krb5-2 libgssrpc4 \
    libharfbuzz0b libheif1 libice-dev libice6 libicu-dev libicu72 libimath-3-1-29 libimath-dev libisl23 \
    libitm1 libjansson4 libjbig-dev libjbig0 libjpeg-dev libjpeg62-turbo libjpeg62-turbo-dev \
    libk5crypto3 libkadm5clnt-mit12 libkadm5srv-mit12 libkdb5-10 libkeyutils1 libkrb5-3 libkrb5-dev \
    libkrb5support0 libksba8 liblcms2-2 liblcms2-dev libldap-2.5-0 liblerc-dev liblerc4 liblqr-1-0 \
    liblqr-1-0-dev liblsan0 libltdl-dev libltdl7 liblzma-dev liblzo2-2 libmagic-mgc libmagic1 \
    libmagickcore-6-arch-config libmagickcore-6-headers libmagickcore-6.q16-6 \
    libmagickcore-6.q16-6-extra libmagickcore-6.q16-dev libmagickcore-dev libmagickwand-6-headers \
    libmagickwand-6.q16-6 libmagickwand-6.q16-dev libmagickwand-dev libmariadb-dev \
    libmariadb-dev-compat libmariadb3 libmaxminddb-dev libmaxminddb0 libmount-dev libmpc3 libmpfr6 \
    libncurses-dev libncurses5-dev libncurses6 libncursesw5-dev libncursesw6 libnghttp2-14 libnpth0 \
    libnsl-dev libnsl2 libnuma1 libopenexr-3-1-30 libopenexr-dev libopenjp2-7 libopenjp2-7-dev \
    libpango-1.0-0 libpangocairo-1.0-0 libpangoft2-1.0-0 libpcre2-16-0 libpcre2-32-0 libpcre2-dev \
    libpcre2-posix3 libperl5.36 libpixman-1-0 libpixman-1-dev libpkgconf3 libpng-dev libpng16-16 \
    libpq-dev libpq5 libproc2-0 libpsl5 libpthread-stubs0-dev libpython3-stdlib libpython3.11-minimal \
    libpython3.11-stdlib libquadmath0 libreadline-dev libreadline8 librsvg2-2 librsvg2-common \
    librsvg2-dev librtmp1 libsasl2-2 libsasl2-modules-db libselinux1-dev libsepol-dev libserf-1-1 \
    libsm-dev libsm6 libsqlite3-0 libsqlite3-dev libssh2-1 libssl-dev libssl3 libstdc++-12-dev libsvn1 \
    libthai-data libthai0 libtiff-dev libtiff6 libtiffxx6 libtirpc-common libtirpc-dev libtirpc3 \
    libtool libtsan2 libubsan1 libutf8proc2 libwebp-dev libwebp7 libwebpdemux2 libwebpmux3 libwmf-0.2-7 \
    libwmf-dev libwmflite-0.2-7 libx11-6 libx11-data libx11-dev libx265-199 libxau-dev libxau6 \
    libxcb-render0 libxcb-render0-dev libxcb-shm0 libxcb-shm0-dev libxcb1 libxcb1-dev libxdmcp-dev \
    libxdmcp6 libxext-dev libxext6 libxml2 libxml2-dev libxrender-dev libxrender1 libxslt1-dev \
    libxslt1.1 libxt-dev libxt6 libyaml-0-2 libyaml-dev libzstd-dev linux-libc-dev m4 make \
    mariadb-common media-types mercurial mercurial-common mysql-common netbase openssh-client openssl \
    patch perl perl-modules-5.36 pinentry-curses pkg-config pkgconf pkgconf-bin procps python3 \
    python3-distutils python3-lib2to3 python3-minimal python3.11 python3.11-minimal readline-common \
    rpcsvc-proto sensible-utils shared-mime-info sq subversion ucf unzip uuid-dev wget x11-common \
    x11proto-core-dev x11proto-dev xorg-sgml-doctools xtrans-dev xz-utils zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
