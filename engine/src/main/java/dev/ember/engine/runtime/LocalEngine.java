package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;

import java.nio.file.Path;

/** The in-process engine. (Being built: see the model and scheduler packages.) */
public final class LocalEngine {
    private LocalEngine() {}

    public static Engine open(Path model, EngineOptions options) {
        throw new UnsupportedOperationException("not yet implemented");
    }
}
