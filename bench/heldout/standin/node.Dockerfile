# Stand-in for node:18-bookworm (no registry here): Debian 12's own Node.js 18 with npm 10 unpacked from the
# npm registry into /usr/local as in the official image, on the local buildpack-deps:bookworm.
FROM buildpack-deps:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends nodejs curl ca-certificates \
    && mkdir -p /usr/local/lib/node_modules/npm \
    && curl -fsSL https://registry.npmjs.org/npm/-/npm-10.8.2.tgz | tar -xz --strip-components=1 -C /usr/local/lib/node_modules/npm \
    && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
