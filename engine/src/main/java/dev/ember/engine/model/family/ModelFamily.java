package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.synth.Preset;

import java.util.List;

/**
 * One architecture family, in one place: the GGUF architecture names it serves and how to wire
 * its parts, the Hugging Face checkpoints it reads (tensor names and config.json keys, as
 * llama.cpp's converter translates them) and its synthetic-model presets. {@link ModelFamilies}
 * registers each family once; the loaders and generators only apply what it declares.
 */
public interface ModelFamily {
    List<String> architectures();

    Model load(WeightSource source, Compute compute);

    /** The transformers classes this family reads from an HF model directory, one table per GGUF translation; none for GGUF only. */
    default List<ArchTable> hfTables() { return List.of(); }

    /**
     * Random-weight models in this family's real shapes for {@code ember synth} (benchmarks) and
     * tiny ones for tests, whose row lengths are multiples of 32 so that every type applies.
     */
    default List<Preset> synthPresets() { return List.of(); }
}
