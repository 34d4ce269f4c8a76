# Phase "banks": offline anomaly sources. So far the built-in texture set (scikit-image's real
# textures + procedural ones) that stands in for DTD when DTD is not downloaded.


rule textures:
    output:
        directory("data/banks/textures/builtin"),
    log:
        "logs/banks/textures.log",
    shell:
        "synthad textures --out {output} > {log} 2>&1"
