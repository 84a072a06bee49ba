"""The layer-state model of the final image (apt lists, installed packages, removals).

graph: the bundled Debian 12 package graph and an apt-like resolver; state: what each
RUN of the final image's stages leaves; saving: image as written minus image with a
fix (or with a fixless finding's advice followed); finding: those savings as estimates.
"""
