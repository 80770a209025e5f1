package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.TreeSet;

/** The registry of supported families, looked up by {@code general.architecture}. */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(new Llama(), new Qwen2(), new Qwen3(), new Qwen3Moe(), new DeepseekV2(), new DeepseekV4(), new Gemma2(), new Gemma3(), new Gemma3n(), new Phi3(), new GptOss(), new Bert(), new NomicBert());

    private ModelFamilies() {}

    public static Model load(WeightSource source, Compute compute) {
        Object arch = source.metadata().get("general.architecture");
        if (!(arch instanceof String a)) throw new ModelLoadException(source.origin() + ": missing metadata 'general.architecture'");
        for (ModelFamily f : FAMILIES) {
            if (!f.architectures().contains(a)) continue;
            try {
                return f.load(source, compute);
            } catch (ModelConfig.Invalid e) {
                throw new ModelLoadException(source.origin() + ": " + e.getMessage() + "; the model's metadata is inconsistent (reconvert it)", e);
            }
        }
        throw new ModelLoadException(source.origin() + ": unsupported architecture '" + a + "' (supported: " + supported() + ")");
    }

    /** Every family's Hugging Face tables (see {@link ModelFamily#hfTables}), for {@code HfCheckpoint}. */
    public static List<ArchTable> hfTables() {
        return FAMILIES.stream().flatMap(f -> f.hfTables().stream()).toList();
    }

    /** Every family's synthetic-model presets (see {@link ModelFamily#synthPresets}), in registry order, for {@code SyntheticModel}. */
    public static List<Preset> synthPresets() {
        return FAMILIES.stream().flatMap(f -> f.synthPresets().stream()).toList();
    }

    public static String supported() {
        TreeSet<String> all = new TreeSet<>();
        for (ModelFamily f : FAMILIES) all.addAll(f.architectures());
        return String.join(", ", all);
    }
}
