package dev.ember.spark.source;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Plans input partitions by estimated tokens. It reads the prompt files once on the driver,
 * cutting at line ends whenever the running estimate reaches the target; prompt files are small
 * next to the inference they drive, and exact line boundaries let readers stream without
 * Hadoop-style split repair. It also keeps the first lines for schema inference.
 */
final class SplitPlanner {
  private static final int SAMPLE_LINES = 1000;

  private SplitPlanner() {}

  record Plan(List<PromptSplit> splits, List<String> sample) {}

  static Plan plan(String location, Configuration conf, long targetTokens, int maxTokensPerRow) {
    try {
      Path root = new Path(location);
      FileSystem fs = root.getFileSystem(conf);
      List<FileStatus> files = new ArrayList<>();
      FileStatus status = fs.getFileStatus(root);
      if (status.isDirectory()) {
        for (FileStatus f : fs.listStatus(root)) {
          String name = f.getPath().getName();
          if (f.isFile() && !name.startsWith(".") && !name.startsWith("_")) {
            files.add(f);
          }
        }
        files.sort((a, b) -> a.getPath().toString().compareTo(b.getPath().toString()));
      } else {
        files.add(status);
      }
      List<PromptSplit> splits = new ArrayList<>();
      List<String> sample = new ArrayList<>();
      for (FileStatus f : files) {
        planFile(fs, f.getPath(), targetTokens, maxTokensPerRow, splits, sample);
      }
      return new Plan(splits, sample);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("Ember: prompts not found: " + location);
    } catch (IOException e) {
      throw new UncheckedIOException("Ember: cannot read prompts " + location, e);
    }
  }

  private static void planFile(
      FileSystem fs, Path path, long targetTokens, int maxTokensPerRow, List<PromptSplit> splits, List<String> sample)
      throws IOException {
    try (InputStream in = new BufferedInputStream(fs.open(path), 1 << 16)) {
      long offset = 0;
      long splitStart = 0;
      long lines = 0;
      long tokens = 0;
      java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
      int b;
      while (true) {
        b = in.read();
        if (b != -1 && b != '\n') {
          line.write(b);
          offset++;
          continue;
        }
        if (b == '\n') {
          offset++;
        }
        if (line.size() > 0 || b == '\n') {
          lines++;
          tokens += line.size() / 4 + 1 + maxTokensPerRow;
          if (sample.size() < SAMPLE_LINES && line.size() > 0) {
            sample.add(line.toString(StandardCharsets.UTF_8));
          }
          line.reset();
        }
        if (b == -1 || tokens >= targetTokens) {
          if (lines > 0) {
            splits.add(new PromptSplit(path.toString(), splitStart, offset, lines, tokens));
          }
          splitStart = offset;
          lines = 0;
          tokens = 0;
        }
        if (b == -1) {
          return;
        }
      }
    }
  }
}
