from __future__ import annotations

from typing import Iterator

from bot.model.findings import Finding, Fix, Safety, Severity, SizeHint
from bot.model.shell import Command
from bot.rules.base import Context, Invalid, Rule, Valid
from bot.rules.caches import BY_KEY, CONDA, CONDA_INSTALLS, CONDA_VALUES, Cache
from bot.rules.edits import append_command
from bot.rules.facts import cache_claim, program_args

CONDA_CACHES = (BY_KEY["conda"], BY_KEY["micromamba"])
VALUE_OPTIONS = CONDA_VALUES
INSTALLS = CONDA_INSTALLS


def _cache_of(cmd: Command) -> Cache:
    return next(c for c in CONDA_CACHES if cmd.program in c.programs)


def _cache_mount(targets: list[str], pkgs_dirs: str) -> bool:
    configured = [p.rstrip("/") for p in pkgs_dirs.split(",") if p.startswith("/")]
    for t in targets:
        if t.rsplit("/", 1)[-1] == "pkgs" or "conda" in t or "mamba" in t:
            return True
        if any(c == t or c.startswith(t + "/") for c in configured):
            return True
    return False


class CondaCacheInLayer(Rule):
    id = "DT109"
    name = "conda-cache-in-layer"
    severity = Severity.WARNING
    summary = "conda/mamba package cache left in the layer after an install"
    fix_safety = Safety.SAFE
    explanation = """
## What it does
Finds a `RUN` that runs `conda install`, `conda create`, `conda update`,
`conda env create|update` (or the same with `mamba` / `micromamba`) without a
`conda clean` afterwards, in a stage that ends up in the final image.

## Why is this bad?
conda downloads every package as an archive into its package cache (`/opt/conda/pkgs`,
`$MAMBA_ROOT_PREFIX/pkgs`) and extracts it there before linking it into the
environment. Both copies stay in the layer: often hundreds of MB for the scientific
stack. Cleaning in a *later* `RUN` saves nothing.

## Example
```dockerfile
FROM continuumio/miniconda3
RUN conda install -y numpy pandas
```

## Use instead
```dockerfile
FROM continuumio/miniconda3
RUN conda install -y numpy pandas && conda clean -afy
```

## Fix safety
Safe: `conda clean -afy` (`mamba clean -afy`, `micromamba clean --all --yes`) runs
after every command of the `RUN` and removes only caches: tarballs, extracted
packages (environments keep their own hard-linked files) and index caches. It is
called the way the install was (`/opt/conda/bin/conda clean -afy`). No fix is offered
when the install only runs in a subshell.

## Size impact
The downloaded archives plus their extracted copies: about the installed size of the
packages. Not reported when a cache mount covers the package cache, when the same
`RUN` already runs `conda clean` or removes a `pkgs` directory, or in stages that do
not reach the final image.
"""
    examples = (
        Invalid(
            "FROM continuumio/miniconda3\nRUN conda install -y numpy pandas\n",
            fixed="FROM continuumio/miniconda3\nRUN conda install -y numpy pandas && conda clean -afy\n",
            at="2:5-2:34",
        ),
        Invalid(
            "FROM continuumio/miniconda3\nRUN conda env create -f environment.yml\n",
            fixed="FROM continuumio/miniconda3\nRUN conda env create -f environment.yml && conda clean -afy\n",
        ),
        Invalid(
            "FROM mambaorg/micromamba:1.5\nRUN micromamba install -y -n base -f env.yaml\n",
            fixed="FROM mambaorg/micromamba:1.5\nRUN micromamba install -y -n base -f env.yaml && micromamba clean --all --yes\n",
        ),
        Invalid(
            "FROM condaforge/miniforge3\nRUN mamba install -y xarray && \\\n    /opt/conda/bin/conda update -y -n base conda\n",
            fixed="FROM condaforge/miniforge3\nRUN mamba install -y xarray && \\\n    /opt/conda/bin/conda update -y -n base conda && \\\n"
            "    /opt/conda/bin/conda clean -afy\n",
            note="the cleanup is called like the last install",
        ),
        Valid("FROM continuumio/miniconda3\nRUN conda install -y numpy && conda clean -afy\n"),
        Valid("FROM continuumio/miniconda3\nRUN conda install -y numpy && conda clean --all --yes\n"),
        Valid("FROM continuumio/miniconda3\nRUN conda install -y numpy && rm -rf /opt/conda/pkgs/*\n"),
        Valid(
            "FROM continuumio/miniconda3\nRUN --mount=type=cache,target=/opt/conda/pkgs conda install -y numpy\n",
            note="the package cache lives in a BuildKit cache mount",
        ),
        Valid(
            "FROM continuumio/miniconda3 AS build\nRUN conda create -y -p /env python=3.12\n"
            "FROM debian:12-slim\nCOPY --from=build /env /env\n",
            note="a builder stage: its layers do not reach the final image",
        ),
        Valid("FROM continuumio/miniconda3\nRUN conda init bash\n"),
    )

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.runs(final_only=True):
            env = ctx.env(ins)
            if _cache_mount(ctx.cache_mounts(ins), env.get(CONDA_CACHES[0].env, "")):
                continue
            for script in ctx.scripts(ins):
                leaking = []
                for i, cmd in enumerate(script.commands):
                    cache = _cache_of(cmd) if cmd.program in CONDA else None
                    if cache and cache.writes(cmd) and not any(cache.cleans(c) for c in script.commands[i + 1 :]):
                        leaking.append(cmd)
                if not leaking:
                    continue
                last = leaking[-1]
                fix = None
                if last.depth == 0:
                    edit = append_command(ctx.df, ins, script, _cache_of(last).cleanup.replace("{tool}", last.name))
                    if edit is not None:
                        fix = Fix("Clean the conda caches in the same RUN", (edit,), Safety.SAFE)
                first = leaking[0]
                packages = tuple(
                    w.text
                    for c in leaking
                    for w in program_args(c, VALUE_OPTIONS)
                    if not w.dynamic and w.text not in INSTALLS and w.text != "env"
                )
                sub = " ".join(w.text for w in program_args(first, VALUE_OPTIONS)[:2] if w.text in INSTALLS | {"env"})
                yield ctx.finding(
                    self,
                    ins,
                    first.span,
                    f"`{first.program} {sub}` leaves its package cache in this layer; run `{first.program} clean`",
                    fix=fix,
                    hint=SizeHint(
                        _cache_of(first).kind,
                        {"packages": packages, "manager": first.program, "base_image": ctx.base_image(ctx.stage(ins))},
                        (cache_claim(_cache_of(first).kind, ins),),
                    ),
                )
