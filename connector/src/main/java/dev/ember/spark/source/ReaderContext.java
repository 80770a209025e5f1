package dev.ember.spark.source;

import java.io.Serializable;

import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.types.StructType;

import dev.ember.spark.executor.SerializableConfiguration;
import dev.ember.spark.frame.EngineTarget;
import dev.ember.spark.frame.ErrorPolicy;
import dev.ember.spark.frame.OutputLayout;
import dev.ember.spark.frame.Task;
import dev.ember.spark.frame.RowRequests;

/** Everything a reader needs on the executor, planned on the driver. */
record ReaderContext(
    Task task,
    ErrorPolicy errors,
    OutputLayout layout,
    PromptLines lines,
    RowRequests requests,
    StructType outputSchema,
    EngineTarget target,
    Broadcast<SerializableConfiguration> hadoopConf,
    int window,
    int batchRows)
    implements Serializable {}
