"""Measured waste: read a built image's layer tars and tie wasted bytes to Dockerfile lines.

Pipeline: :mod:`.source` opens an image (OCI layout, ``docker save`` archive, an
engine's image) as a config plus layer streams; :mod:`.tarscan` streams each layer
tar into entries (never extracting); :mod:`.replay` stacks the layers as an overlay
filesystem would and records bytes a later layer deletes or overwrites; :mod:`.waste`
classifies what is left in the final filesystem; :mod:`.efficiency` is dive's score;
:mod:`.findings` attributes everything to instructions and makes DT7xx findings;
:mod:`.report` renders them; :mod:`.cli` is ``dockerdiet inspect``.
"""
