# Phase "banks": offline anomaly sources (src/synthad/banks) and the contact sheets that show them.
# - textures: built-in (scikit-image + procedural, offline) or DTD linked in from data/raw/dtd;
# - natural photographs (NDP-Net's ImageNet, Lv et al.'s VOC): built-in crops or the user's folder;
# - SDAS (RealNet): one class-conditional DDPM per data set, its categories as the classes
#   (data/banks/diffusion/<dataset>/model), and the noisy classifier of its classifier guidance
#   (.../classifier, when synthesis.sdas.guidance_scale > 0), then each category's bank sampled with
#   its label and the anomaly strength s (and a sheet comparing s = 0, 0.1, 0.2); or RealNet's
#   released SIA images imported when synthesis.sia_dir is set (then no diffusion model is trained).
# Every bank has a manifest with checksums; training opens banks through one reader.

from synthad.synthesis.sdas_config import classifier_slice, diffusion_slice, load_sdas_config


def sdas_section():
    return config.get("synthesis", {}).get("sdas")


def sdas_json():
    return as_json(sdas_section())


def sdas_model_dir(dataset):
    """The data set's diffusion model: one for all its categories (the classes), as RealNet's."""
    return f"data/banks/diffusion/{dataset}/model"


def sdas_classifier_dir(dataset):
    return f"data/banks/diffusion/{dataset}/classifier"


def sdas_guided(dataset):
    """Classifier guidance: a positive guidance_scale and two or more categories (one is unconditional)."""
    return load_sdas_config(sdas_json()).guidance_scale > 0 and len(categories(dataset)) > 1


def sdas_class_indexes(wc):
    """One index per category of the data set, in class-label order."""
    return [f"data/index/{wc.dataset}/{c}.csv" for c in categories(wc.dataset)]


def sdas_index_flags(wc, input):
    return " ".join(f"--index {index}" for index in input.indexes)


def sdas_sampler_inputs(wc):
    """What sampling a category needs: the data set's model, and its classifier when guided."""
    inputs = {"model": sdas_model_dir(wc.dataset)}
    if sdas_guided(wc.dataset):
        inputs["classifier"] = sdas_classifier_dir(wc.dataset)
    return inputs


def sdas_sampler_flags(wc, input):
    flags = f"--model {input.model} --category {wc.category}"
    return flags + (f" --classifier {input.classifier}" if "classifier" in input.keys() else "")


rule textures_builtin:
    output:
        directory("data/banks/textures/builtin"),
    log:
        "logs/banks/textures_builtin.log",
    benchmark:
        benchmark_file("textures_builtin"),
    priority: PREPARATION_PRIORITY
    shell:
        "synthad textures --out {output} > {log} 2>&1"


rule textures_dtd:
    input:
        raw="data/raw/dtd",
    output:
        directory("data/banks/textures/dtd"),
    log:
        "logs/banks/textures_dtd.log",
    benchmark:
        benchmark_file("textures_dtd"),
    shell:
        "synthad textures --dtd {input.raw}/source.json --out {output} > {log} 2>&1"


rule natural_builtin:
    output:
        directory("data/banks/natural/builtin"),
    log:
        "logs/banks/natural_builtin.log",
    benchmark:
        benchmark_file("natural_builtin"),
    priority: PREPARATION_PRIORITY
    shell:
        "synthad natural --out {output} > {log} 2>&1"


rule natural_folder:
    output:
        directory("data/banks/natural/folder"),
    log:
        "logs/banks/natural_folder.log",
    benchmark:
        benchmark_file("natural_folder"),
    params:
        folder=lambda wc: PARAMS.synthesis.natural_source,
    shell:
        "synthad natural --folder {params.folder:q} --out {output} > {log} 2>&1"


# The SDAS chain (train, classifier, sampling, strength sheet) feeds no default training job, so
# Snakemake would leave it to the end, where its jobs ran alone on a 2-core machine for 3 minutes
# (logs/benchmarks of a fresh `make tables`). A priority (SDAS_PRIORITY, common.smk) starts it with
# the first training jobs, and the training jobs' thread count (train.num_threads, 1 by default)
# lets it share the cores with them.


def sdas_threads(wc):
    return PARAMS.train.num_threads


# Only the keys that define each model are its params: a sampling change re-samples but never
# re-trains, a classifier change never re-trains the diffusion model.
rule sdas_train:
    input:
        indexes=sdas_class_indexes,
    output:
        directory("data/banks/diffusion/{dataset}/model"),
    log:
        "logs/banks/sdas_train_{dataset}.log",
    benchmark:
        benchmark_file("sdas_train", "dataset"),
    threads: sdas_threads
    priority: SDAS_PRIORITY
    resources:
        gpu=1,
    params:
        indexes=sdas_index_flags,
        sdas=lambda wc: as_json(diffusion_slice(sdas_section())),
    shell:
        "synthad sdas-train {params.indexes} --params-json {params.sdas:q} --out {output}"
        " --threads {threads} --no-progress > {log} 2>&1"


rule sdas_classifier:
    input:
        indexes=sdas_class_indexes,
    output:
        directory("data/banks/diffusion/{dataset}/classifier"),
    log:
        "logs/banks/sdas_classifier_{dataset}.log",
    benchmark:
        benchmark_file("sdas_classifier", "dataset"),
    threads: sdas_threads
    priority: SDAS_PRIORITY
    resources:
        gpu=1,
    params:
        indexes=sdas_index_flags,
        sdas=lambda wc: as_json(classifier_slice(sdas_section())),
    shell:
        "synthad sdas-classifier {params.indexes} --params-json {params.sdas:q} --out {output}"
        " --threads {threads} --no-progress > {log} 2>&1"


def sdas_bank_inputs(wc):
    """Sampling needs the data set's diffusion model (and classifier); released SIA images nothing."""
    return {} if PARAMS.synthesis.sia_dir else sdas_sampler_inputs(wc)


def sdas_bank_command(wc, input, output, threads):
    if PARAMS.synthesis.sia_dir:
        return f"sia-import --sia {shlex.quote(PARAMS.synthesis.sia_dir)} --category {wc.category} --out {output}"
    return (f"sdas-sample {sdas_sampler_flags(wc, input)} --params-json {shlex.quote(sdas_json())}"
            f" --out {output} --threads {threads} --no-progress")


rule sdas_bank:
    input:
        unpack(sdas_bank_inputs),
    output:
        directory("data/banks/sdas/{dataset}/{category}"),
    log:
        "logs/banks/sdas_bank_{dataset}_{category}.log",
    benchmark:
        benchmark_file("sdas_bank", "dataset", "category"),
    threads: sdas_threads
    priority: SDAS_PRIORITY
    resources:
        gpu=1,
    params:
        command=sdas_bank_command,
        sdas=lambda wc: sdas_json(),  # re-sample when the SDAS settings change
    shell:
        "synthad {params.command} > {log} 2>&1"


rule sdas_strength_sheet:
    input:
        unpack(sdas_sampler_inputs),
        index="data/index/{dataset}/{category}.csv",
    output:
        "results/figures/synthesis/sdas/{dataset}/{category}_strength.png",
    log:
        "logs/banks/sdas_strength_{dataset}_{category}.log",
    benchmark:
        benchmark_file("sdas_strength_sheet", "dataset", "category"),
    threads: sdas_threads
    priority: SDAS_PRIORITY
    params:
        sampler=sdas_sampler_flags,
        sdas=lambda wc: sdas_json(),
    shell:
        "synthad sdas-sheet {params.sampler} --index {input.index} --params-json {params.sdas:q}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule bank_sheet:
    input:
        lambda wc: bank_sheet_input(wc.name),
    output:
        "results/figures/synthesis/banks/{name}.png",
    log:
        "logs/banks/sheet_{name}.log",
    benchmark:
        benchmark_file("bank_sheet", "name"),
    params:
        samples=lambda wc: 2 * PARAMS.synthesis.sheet_samples,
    shell:
        "synthad bank-sheet --bank {input} --samples {params.samples} --out {output} > {log} 2>&1"


def bank_sheet_input(name):
    """Sheet name -> bank folder: textures_<x>, natural_<x>, sdas_<dataset>_<category>."""
    kind, _, rest = name.partition("_")
    if kind == "sdas":
        return next(sdas_dir(d, c) for d, c in sdas_grid() if f"{d}_{c}" == rest)
    return f"data/banks/{kind}/{rest}"


def synthesis_sheet_inputs(wc):
    inputs = {
        "index": f"data/index/{wc.dataset}/{wc.category}.csv",
        "masks": f"data/masks/{wc.dataset}/{wc.category}",
        "textures": texture_dir(),
        "natural": natural_dir(),
    }
    if (wc.dataset, wc.category) in sdas_grid():
        inputs["sdas"] = sdas_dir(wc.dataset, wc.category)
    # DMP draws its sources from every category of the data set (Peng et al., Sec. 3.1).
    others = [c for c in categories(wc.dataset) if c != wc.category]
    inputs["source_indexes"] = [f"data/index/{wc.dataset}/{c}.csv" for c in others]
    inputs["source_masks"] = [f"data/masks/{wc.dataset}/{c}" for c in others]
    return inputs


def synthesis_bank_flags(wc, input):
    kinds = [k for k in ("textures", "natural", "sdas") if k in input.keys()]
    flags = [f"--bank {k}={input[k]}" for k in kinds]
    flags += [f"--source-index {i}" for i in input.source_indexes]
    flags += [f"--source-masks {m}" for m in input.source_masks]
    return " ".join(flags)


rule synthesis_sheets:
    input:
        unpack(synthesis_sheet_inputs),
    output:
        directory("results/figures/synthesis/methods/{dataset}/{category}"),
    log:
        "logs/banks/synthesis_sheets_{dataset}_{category}.log",
    benchmark:
        benchmark_file("synthesis_sheets", "dataset", "category"),
    params:
        banks=synthesis_bank_flags,
        methods=lambda wc: ",".join(sheet_synthesizers(wc.dataset, wc.category)),
        samples=lambda wc: PARAMS.synthesis.sheet_samples,
    shell:
        "synthad synthesis-sheet --index {input.index} --masks {input.masks} {params.banks}"
        " --methods {params.methods} --samples {params.samples} --out {output} > {log} 2>&1"
