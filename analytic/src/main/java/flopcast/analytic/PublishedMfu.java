package flopcast.analytic;

/**
 * MFU figures published for A100 training, each with the precision it was measured in (bf16:
 * apply it to the bf16 peak, never silently to the fp32 one) and its source.
 * Source: REFERENCES.md "Published MFU on A100", which cites each. Pinned by {@code PublishedMfuTest}.
 */
public enum PublishedMfu {
    NANOGPT_124M("GPT-2 124M on 1 A100, nanoGPT", 0.37,
            "karpathy/nanoGPT transformer_sizing.ipynb"),
    MEGATRON_22B("Megatron-LM GPT 22B on A100 80GB", 0.415, "NVIDIA/Megatron-LM README (A100 table)"),
    MEGATRON_175B("Megatron-LM GPT 175B on A100 80GB", 0.514, "NVIDIA/Megatron-LM README (A100 table)"),
    MEGATRON_530B("Megatron-LM GPT 530B on A100 80GB", 0.560, "NVIDIA/Megatron-LM README (A100 table)"),
    MEGATRON_1T("Megatron-LM GPT 1T on A100 80GB", 0.563, "NVIDIA/Megatron-LM README (A100 table)"),
    KORTHIKANTI_SELECTIVE("GPT-3-style 530B, 2240 A100, selective recomputation", 0.542,
            "Korthikanti et al. 2022, arXiv 2205.05198"),
    KORTHIKANTI_FULL("GPT-3-style 530B, 2240 A100, full recomputation", 0.421,
            "Korthikanti et al. 2022, arXiv 2205.05198"),
    MPT_125M("MPT 125M on 8 A100 80GB, seq 2048", 0.448, "mosaicml/llm-foundry scripts/train/benchmarking/README.md"),
    MPT_1B("MPT 1B on 8 A100 80GB, seq 2048", 0.599, "mosaicml/llm-foundry scripts/train/benchmarking/README.md"),
    MPT_7B("MPT 7B on 8 A100 80GB, seq 2048", 0.642, "mosaicml/llm-foundry scripts/train/benchmarking/README.md");

    private final String setting;
    private final double mfu;
    private final String source;

    PublishedMfu(String setting, double mfu, String source) {
        this.setting = setting;
        this.mfu = mfu;
        this.source = source;
    }

    public String setting() {
        return setting;
    }

    public double mfu() {
        return mfu;
    }

    /** Every figure here was measured in bf16 on A100s. */
    public Precision precision() {
        return Precision.BF16;
    }

    public String source() {
        return source;
    }
}
