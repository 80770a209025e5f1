package dev.ember.engine.model.family;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kv.CacheManager;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.kv.PagedKvSpec;
import dev.ember.engine.kv.SharedKvSpec;
import dev.ember.engine.model.GaussianTopK;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Gemma 3n's cross-layer KV sharing costs no cache memory: a shared layer declares a
 * {@link SharedKvSpec} (widths 0), the block pool allocates nothing for it, and the bytes per
 * token count only the layers that store KV. The figures for gemma-3n-E2B's shapes are the ones
 * the README quotes.
 */
class Gemma3nKvSharingTest {
    @TempDir
    static Path dir;

    /** Four sliding layers to one full, as Gemma3nTextConfig's default layer_types. */
    private static boolean[] fourToOne(int layers) {
        boolean[] sliding = new boolean[layers];
        for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % 5 != 0;
        return sliding;
    }

    @Test
    void sharedLayersReadTheLastEarlierLayerOfTheirType() {
        // gemma-3n-E2B: 30 layers, the last 10 shared; llama.cpp hard-codes the same answer
        // (layer 20 on: the sliding ones read layer 18, the full ones layer 19).
        int[] src = Gemma3n.kvSources(fourToOne(30), 10, null);
        for (int i = 0; i < 20; i++) assertEquals(-1, src[i], "layer " + i);
        for (int i = 20; i < 30; i++) assertEquals((i + 1) % 5 == 0 ? 19 : 18, src[i], "layer " + i);
        // The fixture's pattern: layers 4 (sliding) and 5 (full) read 3 and 2.
        assertArrayEquals(new int[] {-1, -1, -1, -1, 3, 2}, Gemma3n.kvSources(new boolean[] {true, true, false, true, true, false}, 2, null));
        // transformers shares nothing when the shared range would start at layer 0.
        assertArrayEquals(new int[] {-1, -1}, Gemma3n.kvSources(new boolean[] {true, false}, 2, null));
    }

    @Test
    void kvBytesPerTokenOfGemma3nE2bWithAndWithoutSharing() {
        int[] src = Gemma3n.kvSources(fourToOne(30), 10, null);
        List<LayerCacheSpec> shared = new ArrayList<>(), unshared = new ArrayList<>();
        for (int s : src) {
            PagedKvSpec own = new PagedKvSpec(2, 256, 256); // 2 KV heads of 256
            shared.add(s < 0 ? own : new SharedKvSpec(s));
            unshared.add(own);
        }
        // Per storing layer and token: 2 heads x 256 keys + 2 x 256 values = 1024 values.
        assertEquals(20 * 1024 * 2, CacheManager.bytesPerToken(shared, KvCacheType.F16));   // 40 KiB
        assertEquals(30 * 1024 * 2, CacheManager.bytesPerToken(unshared, KvCacheType.F16)); // 60 KiB
        assertEquals(20 * 1024 * 4, CacheManager.bytesPerToken(shared, KvCacheType.F32));
        assertEquals(30 * 1024 * 4, CacheManager.bytesPerToken(unshared, KvCacheType.F32));
    }

    @Test
    void theLoadedModelsSharedLayersGetNoPoolMemory() throws Exception {
        Path file = dir.resolve("gemma3n-tiny.gguf");
        SyntheticModel.write("gemma3n-tiny", TensorType.F32, file, 3, 2);
        try (LoadedModel lm = LoadedModel.open(file, 2)) {
            List<LayerCacheSpec> specs = lm.model().cacheSpecs();
            assertEquals(6, specs.size());
            for (int l = 0; l < 4; l++) assertEquals(new PagedKvSpec(2, 32, 32), specs.get(l), "layer " + l);
            assertEquals(new SharedKvSpec(3), assertInstanceOf(SharedKvSpec.class, specs.get(4)));
            assertEquals(new SharedKvSpec(2), assertInstanceOf(SharedKvSpec.class, specs.get(5)));
            // 4 storing layers x (64 keys + 64 values) x 2 bytes, not 6 x.
            assertEquals(4 * 128 * 2, CacheManager.bytesPerToken(specs, KvCacheType.F16));
            try (CacheManager cm = CacheManager.create(specs, KvCacheType.F16, 16, 1 << 20, 0)) {
                for (int l = 0; l < 4; l++) assertEquals(64, cm.pool().keyWidth(l));
                assertEquals(0, cm.pool().keyWidth(4));
                assertEquals(0, cm.pool().valueWidth(4));
                assertEquals(0, cm.pool().keyWidth(5));
                assertEquals(0, cm.pool().valueWidth(5));
            }
        }
    }

    @Test
    void sparsityCutoffIsTheNormalQuantile() {
        // The bits of torch 2.13's float32 Normal(0, 1).icdf (transformers' cutoff; llama.cpp's
        // converter stores the same; its graph's hard-coded 1.6448533535 is two ulps lower).
        assertEquals(1.6448535919189453f, GaussianTopK.stdMultiplier(0.95f));
        assertEquals(1.281551480293274f, GaussianTopK.stdMultiplier(0.9f));
        assertEquals(2.326348304748535f, GaussianTopK.stdMultiplier(0.99f));
        assertEquals(0.6744897365570068f, GaussianTopK.stdMultiplier(0.75f));
        assertEquals(-0.5244004726409912f, GaussianTopK.stdMultiplier(0.3f));
        assertEquals(-1.2815515995025635f, GaussianTopK.stdMultiplier(0.1f));
        assertEquals(0f, GaussianTopK.stdMultiplier(0.5f));
        assertEquals(Float.NEGATIVE_INFINITY, GaussianTopK.stdMultiplier(0.0));
    }
}
