package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.EngineProvider;

import java.nio.file.Path;

/** The in-process engine, as {@link Engine#open} finds it. */
public final class LocalEngineProvider implements EngineProvider {
    @Override
    public Engine open(Path model, EngineOptions options) {
        return LocalEngine.open(model, options);
    }

    /** Maps the file and wires the model and tokenizer as {@link LocalEngine#open} does; no weight is read. */
    @Override
    public void validate(Path model) {
        try (LoadedModel loaded = LoadedModel.open(model, 1)) {
            if (loaded.hasTokenizer()) loaded.tokenizer();
        }
    }
}
