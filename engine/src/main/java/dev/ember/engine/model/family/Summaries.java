package dev.ember.engine.model.family;

import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.WeightSource;

/** One-paragraph model descriptions for `ember info` and logs. */
final class Summaries {
    private Summaries() {}

    static String of(ModelConfig c, WeightSource src) {
        return String.format("%s: %d layers, dim %d, %d heads (%d KV) x %d, ffn %d, vocab %d, context %d, rope %s theta %.0f%s",
                c.architecture(), c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(), c.vocabSize(),
                c.contextLength(), c.ropeLayout().name().toLowerCase(), c.ropeTheta(),
                c.ropeScaling().type() == dev.ember.engine.model.RopeScaling.Type.NONE ? "" : ", scaling " + c.ropeScaling().describe());
    }
}
