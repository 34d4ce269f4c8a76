"""The smallest settings of every registered method, shared by the contract test and the tiny pipeline.

Keys must exist in each method's ``Config``; a new method adds its entry here (the contract test
fails until it does).
"""

SIZE = 32

# Smallest settings per method so the contract runs in seconds; keys must exist in each Config.
TINY = {
    "draem": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "rec_base_width": 4, "disc_base_width": 4},
    "dmp": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "rec_base_width": 4, "disc_base_width": 4,
            "lk_channels": [4, 8, 8, 8], "lk_layers": [1, 1, 1, 1], "lk_kernels": [7, 5, 5, 3],
            "small_kernel": 3},
    "imm_alm": {"image_size": SIZE, "backbone_weights": "random", "imm_epochs": 1, "imm_batch_size": 2,
                "imm_widths": [4, 4], "imm_hidden": 8, "alm_epochs": 1, "batch_size": 2, "feature_dim": 8,
                "mapping_widths": [8]},
    "mean_image": {"image_size": SIZE},
    "ndpnet": {"image_size": SIZE, "base_width": 4, "ffm_channels": 4, "dsm_width": 4, "batch_size": 2,
               "phase1_epochs": 1, "phase2_epochs": 1, "perceptual_weights": "none"},
    "slsg": {"image_size": SIZE, "backbone_weights": "random", "decoder_widths": [8, 8, 8, 8],
             "skip_channels": 4, "disc_width": 4, "pretrain_epochs": 1, "pretrain_batch_size": 2, "steps": 2,
             "normal_per_batch": 1, "anomalous_per_batch": 1, "log_every": 1},
    "patchcore": {"image_size": SIZE, "backbone": "efficientnet_lite0", "strides": [4, 8],
                  "pretrain_embed_dim": 32, "target_embed_dim": 16, "batch_size": 4},
    "realnet": {"epochs": 1, "batch_size": 2, "image_size": SIZE, "backbone_weights": "random",
                "layers": [1, 2], "feature_dims": [8, 8], "head_channels": 8, "head_widths": [8, 4, 4, 4],
                "afs_batches": 1, "afs_batch_size": 2},
}
