from __future__ import annotations

from typing import Iterator

from bot.model import hints
from bot.model.findings import Finding, Safety, Severity
from bot.rules import caches as C
from bot.rules.base import Context, Invalid, Rule, Valid

JVM_CACHES = (C.BY_KEY["maven"], C.BY_KEY["gradle"], C.BY_KEY["ivy"])


class JvmBuildCacheInLayer(Rule):
    id = "DT111"
    name = "jvm-build-cache-in-layer"
    severity = Severity.WARNING
    summary = "Maven, Gradle or sbt/ivy caches left in the final image after a JVM build"
    fix_safety = Safety.REVIEW
    explanation = """
## What it does
Finds a `RUN` in a stage that reaches the final image that runs `mvn`/`mvnw`,
`gradle`/`gradlew` or `sbt` and leaves the tool's download cache in its layer:
Maven's local repository (`~/.m2/repository`, or `-Dmaven.repo.local`), the Gradle
user home (`~/.gradle`, `GRADLE_USER_HOME`, `-g`), sbt's `~/.ivy2`, `~/.sbt` and
coursier cache.

## Why is this bad?
These caches hold every plugin and dependency jar the build downloaded (and, for the
wrappers, a whole Maven or Gradle distribution): typically 100 MB to 1 GB. The
application only needs its packaged jar, or the jars it copies into its own `lib`.
Removing them in a later `RUN` frees nothing.

## Example
```dockerfile
FROM maven:3.9-eclipse-temurin-21
COPY . /app
RUN cd /app && mvn -B package
```

## Use instead
```dockerfile
FROM maven:3.9-eclipse-temurin-21
COPY . /app
RUN cd /app && mvn -B package && rm -rf ~/.m2/repository
```
Better still: build in a Maven stage and copy the jar into a JRE image.

## Fix safety
Review: the cache is removed at the end of the same `RUN`. A later build in the image
downloads everything again, an offline one (`mvn -o`, `--offline`) fails, and an
application that resolves jars from `~/.m2` at run time breaks. No fix is offered when
a later `RUN` runs the tool again; nothing is reported when the image's `CMD` or
`ENTRYPOINT` runs the tool (`mvn spring-boot:run`), when a cache mount covers the
cache, when the same `RUN` removes it, or in builder stages.

## Size impact
The project's dependency jars and plugins: they depend on `pom.xml` or `build.gradle`,
which dockerdiet cannot see.
"""
    examples = (
        Invalid(
            "FROM maven:3.9-eclipse-temurin-21\nRUN mvn -B package\n",
            fixed="FROM maven:3.9-eclipse-temurin-21\nRUN mvn -B package && rm -rf ~/.m2/repository\n",
            at="2:5-2:19",
        ),
        Invalid(
            "FROM eclipse-temurin:21-jdk\nCOPY . /app\nRUN cd /app && ./gradlew --no-daemon bootJar\n",
            fixed="FROM eclipse-temurin:21-jdk\nCOPY . /app\nRUN cd /app && ./gradlew --no-daemon bootJar"
            ' && rm -rf "${GRADLE_USER_HOME:-$HOME/.gradle}"\n',
            message="Gradle",
        ),
        Invalid(
            "FROM sbtscala/scala-sbt:eclipse-temurin-17.0.4_1.7.1_3.2.0\nRUN sbt stage\n",
            fixed="FROM sbtscala/scala-sbt:eclipse-temurin-17.0.4_1.7.1_3.2.0\n"
            "RUN sbt stage && rm -rf ~/.ivy2 ~/.cache/coursier ~/.sbt\n",
        ),
        Invalid(
            "FROM maven:3.9\nRUN mvn dependency:go-offline\nCOPY src src\nRUN mvn -o package && rm -rf /root/.m2\n",
            message="a later RUN",
            note="no fix: the offline build reads the repository the first RUN filled",
        ),
        Valid("FROM maven:3.9\nRUN mvn -B package && rm -rf /root/.m2\n"),
        Valid("FROM maven:3.9\nRUN mvn -Dmaven.repo.local=/tmp/repo package && rm -rf /tmp/repo\n"),
        Valid("FROM maven:3.9\nRUN --mount=type=cache,target=/root/.m2 mvn -B package\n",
              note="the repository lives in a BuildKit cache mount"),
        Valid(
            "FROM maven:3.9 AS build\nRUN mvn -B package\nFROM eclipse-temurin:21-jre\n"
            "COPY --from=build /target/app.jar /app.jar\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM maven:3.9\nCOPY . .\nRUN mvn -B compile\nCMD [\"mvn\", \"spring-boot:run\"]\n",
              note="the repository is read at start-up"),
        Valid("FROM maven:3.9\nRUN mvn --version\n"),
        Valid("FROM hseeberger/scala-sbt:11.0.2_2.12.8_1.2.8\nCOPY . /app\nRUN cd /app ; sbt compile\n",
              note="compiled for a later `sbt run` the file does not show: the caches are meant to stay"),
        Valid("FROM gradle:8\nRUN gradle --version\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for found in C.run_findings(ctx, JVM_CACHES):
            cmd = found.first.command
            names = " and ".join(c.label.split()[0] for c in found.caches)
            where = found.advice()
            yield ctx.finding(
                self,
                found.ins,
                found.span,
                f"`{cmd.program}` leaves the {names} cache in this layer{where}",
                fix=found.fix,
                hint=C.hint(ctx, found, hints.JVM_BUILD_CACHE),
            )
