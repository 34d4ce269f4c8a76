# Phase "banks": offline anomaly sources. The anomaly-source texture folder is either the
# built-in set (scikit-image's real textures + procedural ones, offline) or DTD, linked in from
# data/raw/dtd (downloaded, or the user's copy given as data.datasets.dtd.path).


rule textures_builtin:
    output:
        directory("data/banks/textures/builtin"),
    log:
        "logs/banks/textures_builtin.log",
    shell:
        "synthad textures --out {output} > {log} 2>&1"


rule textures_dtd:
    input:
        raw="data/raw/dtd",
    output:
        directory("data/banks/textures/dtd"),
    log:
        "logs/banks/textures_dtd.log",
    shell:
        "synthad textures --dtd {input.raw}/source.json --out {output} > {log} 2>&1"
