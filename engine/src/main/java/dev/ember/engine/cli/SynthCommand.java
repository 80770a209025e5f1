package dev.ember.engine.cli;

import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/** `ember synth`: writes a random-weight GGUF of a realistic shape, for benchmarks. */
final class SynthCommand implements Main.Command {
    @Override
    public String usage() {
        return "synth --preset NAME --type F32|F16|BF16|Q8_0|Q4_0|Q4_1|Q5_0|Q5_1|MXFP4 --out FILE [--seed S] [--vocab-from VOCAB.gguf] [--pooling mean|cls|last]";
    }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args("synth", argv, 1, Set.of());
        String preset = a.required("preset");
        String typeName = a.required("type");
        Path file = a.path("out");
        long seed = a.longValue("seed", 42);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        String vocabFrom = a.string("vocab-from", null);
        String pooling = a.string("pooling", null);
        a.rejectUnknown();
        dev.ember.engine.model.Pooling pool = null;
        if (pooling != null) {
            try {
                pool = dev.ember.engine.model.Pooling.valueOf(pooling.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new Args.UsageException("synth: --pooling must be mean, cls or last, got '" + pooling + "'");
            }
        }
        if (!SyntheticModel.presets().contains(preset)) {
            throw new Args.UsageException("synth: unknown preset '" + preset + "' (known: " + String.join(", ", SyntheticModel.presets()) + ")");
        }
        TensorType type;
        try {
            type = TensorType.valueOf(typeName.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || !SyntheticModel.types().contains(type)) {
            throw new Args.UsageException("synth: unsupported --type '" + typeName + "' (supported: " + SyntheticModel.types() + ")");
        }
        long t0 = System.nanoTime();
        SyntheticModel.Summary s = SyntheticModel.write(preset, type, file, seed, threads,
                vocabFrom == null ? null : Path.of(vocabFrom), pool);
        out.printf("wrote %s: %s %s, %d tensors, %,d parameters, %.1f MiB in %.1f s%n", file, s.preset(), s.type(), s.tensors(),
                s.parameters(), s.fileBytes() / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
