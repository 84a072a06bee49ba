import pytest

from bot.model.dockerfile import parse
from bot.rules.dt402_toolchain_image_as_runtime import ToolchainImageAsRuntime as R
from bot.model.images import parse_image
from bot.rules.ecosystems import toolchain_of
from tests.rules.harness import run
from tests.rules.rewrite_checks import assert_clean_rewrite

CASES = {
    "go": ("FROM golang:1.22-bookworm\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"
           "RUN go build -o server ./cmd/server\nEXPOSE 8080\nCMD ./server --port 8080\n", "/src/server"),
    "java": ("FROM eclipse-temurin:17-jdk\nWORKDIR /app\nCOPY . .\nRUN ./mvnw -B package\n"
             "ENTRYPOINT [\"java\", \"-jar\", \"/app/target/demo.jar\"]\n", "/app/target/demo.jar"),
    "dotnet": ("FROM mcr.microsoft.com/dotnet/sdk:8.0-alpine\nWORKDIR /src\nCOPY . .\n"
               "RUN dotnet publish App.csproj -c Release -o /app/publish\nWORKDIR /app/publish\n"
               "ENTRYPOINT [\"dotnet\", \"App.dll\"]\n", "/app/publish"),
    "node": ("FROM node:18\nWORKDIR /usr/src/app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\n"
             "RUN npm run build\nUSER node\nCMD [\"npm\", \"start\"]\n", "/usr/src/app"),
}
RUNTIME_TOOLCHAINS = ("golang", "maven", "gradle", "rust", "gcc", "mcr.microsoft.com/dotnet/sdk")


@pytest.mark.parametrize("eco", sorted(CASES))
def test_rewrite_structure(eco):
    code, artifact = CASES[eco]
    after = assert_clean_rewrite(R, code)
    df = parse(after)
    assert len(df.stages) >= 2
    final = df.final_stage
    ref = parse_image(final.image)
    assert ref.name not in RUNTIME_TOOLCHAINS and (toolchain_of(ref) in ("", "node") or "jre" in ref.tag)
    copies = [i for i in final.instructions if i.keyword == "COPY" and i.flag("from")]
    assert copies and artifact in copies[0].body.text.split()
    entry = lambda stage: [i.keyword for i in stage.instructions if i.keyword in ("CMD", "ENTRYPOINT")]  # noqa: E731
    assert entry(final) == entry(df.stages[0]) and entry(final)
    orig_cmd = [i for i in parse(code).instructions if i.keyword in ("CMD", "ENTRYPOINT")][-1]
    new_cmd = [i for i in final.instructions if i.keyword in ("CMD", "ENTRYPOINT")][-1]
    assert (orig_cmd.json_args or tuple(orig_cmd.body.text.split())) == new_cmd.json_args


def test_go_shell_cmd_becomes_exec_form_on_distroless():
    after = assert_clean_rewrite(R, CASES["go"][0])
    assert after.rstrip().endswith('CMD ["./server", "--port", "8080"]')
    assert "RUN CGO_ENABLED=0 go build" in after


def test_cgo_explicitly_on_gives_no_fix():
    found = run(R, "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=1 go build -o /bin/app .\nCMD [\"/bin/app\"]\n")
    assert found and found[0].fix is None


def test_privileged_port_on_nonroot_distroless_gives_no_fix():
    found = run(R, "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\nEXPOSE 80\nCMD [\"/bin/app\"]\n")
    assert found and found[0].fix is None


def test_named_user_created_in_the_stage_gives_no_fix():
    code = "FROM golang:1.22\nRUN useradd app\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/app .\nUSER app\nCMD [\"/bin/app\"]\n"
    found = run(R, code)
    assert found and found[0].fix is None


def test_node_stage_with_apt_packages_gives_no_fix():
    code = "FROM node:20\nWORKDIR /app\nRUN apt-get update && apt-get install -y ffmpeg\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"npm\", \"start\"]\n"
    found = run(R, code)
    assert found and found[0].fix is None


def test_severity_is_error():
    found = run(R, CASES["go"][0])
    assert found[0].severity.value == "error"


def test_node_on_its_slim_runtime_names_the_real_waste_not_the_same_image():
    # the runtime for node:20-slim is node:20-slim itself: "run on `node:20-slim`" reads as nonsense
    code = 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD ["node", "dist/main.js"]\n'
    (f,) = run(R, code)
    assert "devDependencies" in f.message and "node:20-slim" not in f.message


@pytest.mark.parametrize("image", ["golang:1.15.7-alpine3.13", "mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim-amd64"])
def test_message_stays_within_100_chars_for_long_image_names(image):
    sub = "go build -o /app ." if image.startswith("golang") else "dotnet publish -c Release -o /out"
    code = f'FROM {image}\nWORKDIR /src\nCOPY . .\nRUN {sub}\nCMD ["/app"]\n'
    (f,) = run(R, code)
    assert len(f.message) <= 100, f.message


NODE_BUILD = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD ["node", "dist/main.js"]\n'


@pytest.mark.parametrize("lock", [
    '{"lockfileVersion": 3, "packages": {"node_modules/bcrypt": {"gypfile": true}}}',
    '{"lockfileVersion": 3, "packages": {"node_modules/x": {"hasInstallScript": true}}}',
    '{"lockfileVersion": 3, "packages": {"node_modules/@rollup/rollup-linux-x64-gnu": {}}}',
])
def test_node_lockfile_with_native_code_stays_on_slim(lock):
    (f,) = run(R, NODE_BUILD, {"package.json": "{}", "package-lock.json": lock})
    assert "node:20-slim" in "".join(e.text for e in f.fix.edits) and "alpine" not in f.message


def test_node_without_lockfile_stays_on_slim():
    (f,) = run(R, NODE_BUILD, {"package.json": "{}"})
    assert "node:20-slim" in "".join(e.text for e in f.fix.edits)


def test_node_alpine_names_its_evidence_in_the_review_reason():
    lock = '{"lockfileVersion": 3, "packages": {"node_modules/lodash": {}, "node_modules/ms": {}}}'
    (f,) = run(R, NODE_BUILD, {"package.json": "{}", "package-lock.json": lock})
    assert "node:20-alpine" in "".join(e.text for e in f.fix.edits)
    assert "package-lock.json lists 2 packages, none native" in f.fix.reason


RUST_MUSL = ("FROM rust:1.79-bookworm\nRUN rustup target add x86_64-unknown-linux-musl\nWORKDIR /app\nCOPY . .\n"
             "RUN cargo build --release --target=x86_64-unknown-linux-musl\nCMD [\"/app/target/x86_64-unknown-linux-musl/release/app\"]\n")


def test_rust_musl_target_runs_on_distroless_static():
    after = assert_clean_rewrite(R, RUST_MUSL)
    final = parse(after).final_stage
    assert final.image == "gcr.io/distroless/static-debian12:nonroot"
    (f,) = run(R, RUST_MUSL)
    assert "x86_64-unknown-linux-musl" in f.fix.reason  # the evidence is named
    assert f.hint.params["alternative"] == "debian:bookworm-slim"


def test_rust_glibc_build_keeps_the_debian_slim_runtime():
    code = RUST_MUSL.replace("--target=x86_64-unknown-linux-musl", "").replace("x86_64-unknown-linux-musl/", "")
    (f,) = run(R, code)
    assert f.hint.params["to_image"] == "debian:bookworm-slim" and "alternative" not in f.hint.params


def test_rust_musl_binary_not_under_its_target_directory_gives_no_fix():
    (f,) = run(R, RUST_MUSL.replace("/app/target/x86_64-unknown-linux-musl/release/app\"]", "/app/target/release/app\"]"))
    assert f.fix is None


def test_the_estimate_puts_the_evidence_runtime_beside_the_one_it_replaces():
    from bot.engine import Options, analyse_text
    from bot.rules.base import BuildContext

    (f,) = analyse_text("Dockerfile", RUST_MUSL, Options(select=("DT402",))).findings
    assert "`gcr.io/distroless/static-debian12:nonroot` ≈ 2" in f.estimate.basis
    assert "against `debian:bookworm-slim` ≈ " in f.estimate.basis
    files = {"package.json": "{}", "package-lock.json": '{"lockfileVersion": 3, "packages": '
             '{"node_modules/lodash": {"version": "4.17.21"}}}'}
    bc = BuildContext("/ctx", {k: len(v) for k, v in files.items()}, files)
    code = "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD [\"node\", \"dist/main.js\"]\n"
    (f,) = analyse_text("Dockerfile", code, Options(select=("DT402",)), bc).findings
    assert f.hint.params["to_image"] == "node:22-alpine"
    assert "`node:22-alpine` ≈ " in f.estimate.basis and "against `node:22-slim` ≈ " in f.estimate.basis
