package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;

import java.util.List;

/** One architecture family: the GGUF architecture names it serves and how to wire its parts. */
public interface ModelFamily {
    List<String> architectures();

    Model load(WeightSource source, Compute compute);
}
