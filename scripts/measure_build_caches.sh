#!/bin/sh
# Measure the floor of two build caches on this host, for bot/estimate/data/waste_models.csv
# (rows go_build/* and maven_repo/*; provenance in bot/estimate/data/PROVENANCE.md).
#
# Go build cache: the standard-library packages a build compiles into GOCACHE. Go >= 1.20
# no longer ships them precompiled, so every first build compiles them; Debian 12's Go 1.19
# does the same with `go build -a`. Two programs: fmt only, and a net/http JSON server.
# Maven: a dependency-free `mvn package` with a fresh local repository, the default
# lifecycle's plugins pinned to versions Maven 3.9 uses by default. With no network to
# Maven Central, MIRROR (default ~/.m2/repository) serves as a file:// mirror.
#
# Needs: go (apt-get install golang-go), mvn + a JDK. Usage: sh scripts/measure_build_caches.sh
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MIRROR=${MIRROR:-$HOME/.m2/repository}

probe_go() {  # $1 name, $2 program text
    mkdir -p "$work/go-$1" && cd "$work/go-$1"
    printf 'module probe\n\ngo 1.19\n' > go.mod
    printf '%s\n' "$2" > main.go
    GOFLAGS=-mod=mod GOPROXY=off GOPATH="$work/gopath" GOCACHE="$work/cache-$1" go build -a -o /dev/null .
    echo "go_build $1 $(du -sb "$work/cache-$1" | cut -f1) bytes ($(go version))"
}
probe_go fmt 'package main
import "fmt"
func main() { fmt.Println("hi") }'
probe_go nethttp 'package main
import ("encoding/json"; "fmt"; "net/http")
func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(map[string]string{"ok": "yes"}) })
	fmt.Println(http.ListenAndServe(":8080", nil))
}'

mkdir -p "$work/mvn/src/main/java/p" && cd "$work/mvn"
echo 'package p; public class App { public static void main(String[] a) { System.out.println("hi"); } }' > src/main/java/p/App.java
plugins=""
for pv in resources:3.3.1 compiler:3.13.0 surefire:3.2.5 jar:3.4.1 install:3.1.2 clean:3.4.0; do
    plugins="$plugins<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-${pv%%:*}-plugin</artifactId><version>${pv#*:}</version></plugin>"
done
cat > pom.xml <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>p</groupId><artifactId>probe</artifactId><version>1.0</version>
<properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
<build><pluginManagement><plugins>$plugins</plugins></pluginManagement></build></project>
POM
cat > settings.xml <<XML
<settings><mirrors><mirror><id>m</id><mirrorOf>*</mirrorOf><url>file://$MIRROR</url></mirror></mirrors></settings>
XML
mvn -q -B -s settings.xml -Dmaven.repo.local="$work/repo" package
mvn -B -v > "$work/mvn-version" 2>&1
echo "maven_repo package $(du -sb "$work/repo" | cut -f1) bytes, $(find "$work/repo" -name '*.jar' | wc -l) jars ($(sed -n 1p "$work/mvn-version"))"
