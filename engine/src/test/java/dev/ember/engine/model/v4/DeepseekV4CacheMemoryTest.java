package dev.ember.engine.model.v4;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The V4 cache grows as the spec's §5 says: per token, CSA layers add (d + d_I)/4 floats and HCA
 * layers d/m; the window rings and open compressor windows are a fixed part. Measured on the live
 * state after real forward passes, against the per-token figure the engine sizes its pool with.
 */
class DeepseekV4CacheMemoryTest {
    @TempDir
    static Path dir;

    @Test
    void measuredStateMatchesThePrediction() throws Exception {
        Path file = dir.resolve("v4.gguf");
        SyntheticModel.write("deepseek4-tiny", TensorType.F32, file, 1);
        try (LoadedModel lm = LoadedModel.open(file, 2)) {
            HyperDecoder m = (HyperDecoder) lm.model();
            KvBlockPool pool = new KvBlockPool(m.cacheBlockSize(), 8, m.keyWidths(), m.valueWidths());
            BlockTable table = new BlockTable(pool);
            int[] tokens = new int[64];
            long[] fixedAt = new long[2];
            int[][] lengths = {{0, 512}, {1, 2048}};
            int done = 0;
            for (int[] step : lengths) {
                for (; done < step[1]; done += 64) {
                    for (int i = 0; i < 64; i++) tokens[i] = (done + i * 7) % 512;
                    m.forward(ForwardBatch.ofSequence(tokens, 0, 64, done, table, new int[0]), new float[0]);
                }
                long[] bytes = m.stateBytes(table);
                fixedAt[step[0]] = bytes[0];
                // Context lengths here are multiples of every ratio, so the growth is exact.
                assertEquals(m.extraStateBytesPerToken() * step[1], bytes[1], "growing state after " + step[1] + " tokens");
            }
            assertEquals(fixedAt[0], fixedAt[1], "the window rings and open windows do not grow");
            System.out.printf("deepseek4-tiny: %d bytes/token of compressed state, %d bytes fixed per sequence%n",
                    m.extraStateBytesPerToken(), fixedAt[0]);
        }
    }
}
