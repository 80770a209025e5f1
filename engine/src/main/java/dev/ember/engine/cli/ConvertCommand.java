package dev.ember.engine.cli;

import dev.ember.engine.convert.HfToGguf;
import dev.ember.engine.tensor.TensorType;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** `ember convert`: a Hugging Face model directory to a GGUF file, named and typed as llama.cpp's converter does. */
final class ConvertCommand implements Main.Command {
    @Override
    public String usage() { return "convert --from HF_DIR --to FILE.gguf --type F32|F16|BF16|Q8_0|Q4_0|Q4_1|Q5_0|Q5_1|MXFP4 [--threads N]"; }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args("convert", argv, 1, Set.of());
        Path from = a.path("from");
        Path to = a.path("to");
        String typeName = a.string("type", "F16");
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        a.rejectUnknown();
        TensorType type;
        try {
            type = TensorType.valueOf(typeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || !HfToGguf.supports(type)) {
            throw new Args.UsageException("convert: unsupported --type '" + typeName + "' (supported: " + HfToGguf.supportedTypes() + ")");
        }
        if (!Files.isDirectory(from)) throw new Args.UsageException("convert: --from must be a Hugging Face model directory, got " + from);
        long t0 = System.nanoTime();
        HfToGguf.Summary s = HfToGguf.convert(from, to, type, threads);
        out.printf("wrote %s: %d tensors %s, %,d parameters, %.1f MiB in %.1f s%n", to, s.tensors(), s.types(), s.parameters(),
                s.fileBytes() / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
