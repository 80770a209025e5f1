package dev.ember.spark.frame;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Driver-side check that the model exists and looks like a model, so a wrong path fails the job
 * at once with one clear message instead of failing every task (and its retries) on executors.
 * It reads four bytes, never the weights.
 */
public final class ModelPreflight {
  private static final byte[] GGUF_MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

  private ModelPreflight() {}

  public static void check(String model, Configuration conf) {
    try {
      Path path = new Path(model);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (FileNotFoundException e) {
        throw new IllegalArgumentException("Ember: model not found: " + model);
      }
      if (status.isDirectory()) {
        if (!fs.exists(new Path(path, "config.json"))) {
          throw new IllegalArgumentException(
              "Ember: model directory " + model + " has no config.json; expected a GGUF file or an HF model directory");
        }
        return;
      }
      byte[] magic = new byte[4];
      try (InputStream in = fs.open(path)) {
        if (in.readNBytes(magic, 0, 4) < 4 || !java.util.Arrays.equals(magic, GGUF_MAGIC)) {
          throw new IllegalArgumentException("Ember: " + model + " is not a GGUF file (no GGUF magic)");
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("Ember: cannot read model " + model + ": " + e.getMessage(), e);
    }
  }
}
