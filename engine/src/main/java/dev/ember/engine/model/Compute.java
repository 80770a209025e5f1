package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;

/** The kernels and worker pool a model computes with; one per engine. */
public record Compute(Kernels kernels, WorkerPool pool) {}
