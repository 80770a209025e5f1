package dev.ember.spark.frame;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;

import dev.ember.engine.api.Engine;

/**
 * Driver-side check that the model opens as the engine would open it, so a bad model fails the
 * job at once with one clear message instead of failing every task (and its retries) on
 * executors with a Spark stack trace.
 *
 * <p>The model is opened with {@link Engine#validate}: header, metadata, architecture, tensor
 * table and tokenizer, without reading weights. A local model is opened in place (memory-mapped;
 * its SHA-256, when one is expected, is computed here too). A model on a remote file system is
 * opened from a sparse local copy holding only its heads (the first {@value #HEAD_BYTES} bytes of
 * a GGUF file, the JSON header of a safetensors shard, small files whole); the rest reads as
 * zeros, which validation never looks at. A remote model's SHA-256 is checked where it is copied,
 * on the executors. Checks that passed are remembered per file version for this JVM.
 */
public final class ModelPreflight {
  private static final byte[] GGUF_MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);
  /** The head of a remote GGUF file fetched for validation: metadata and tensor table fit in it. */
  static final int HEAD_BYTES = 64 << 20;

  private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

  private ModelPreflight() {}

  public static void check(String model, Configuration conf) {
    check(model, null, conf);
  }

  /** Checks the model, and its SHA-256 when {@code expectedSha256} is not null (local models). */
  public static void check(String model, String expectedSha256, Configuration conf) {
    try {
      Path path = new Path(model);
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (FileNotFoundException e) {
        throw new IllegalArgumentException("Ember: model not found: " + model);
      }
      String version = status.getPath() + " " + status.getLen() + " " + status.getModificationTime() + " " + expectedSha256;
      if (PASSED.contains(version)) {
        return;
      }
      if (status.isDirectory()) {
        if (!fs.exists(new Path(path, "config.json"))) {
          throw new IllegalArgumentException(
              "Ember: model directory " + model + " has no config.json; expected a GGUF file or an HF model directory");
        }
        if (expectedSha256 != null) {
          throw new IllegalArgumentException("Ember: modelSha256 applies to a single model file, not the directory " + model);
        }
      } else {
        byte[] magic = new byte[4];
        try (InputStream in = fs.open(path)) {
          if (in.readNBytes(magic, 0, 4) < 4 || !java.util.Arrays.equals(magic, GGUF_MAGIC)) {
            throw new IllegalArgumentException("Ember: " + model + " is not a GGUF file (no GGUF magic)");
          }
        }
      }
      if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
        java.nio.file.Path local = java.nio.file.Paths.get(status.getPath().toUri());
        validate(local, model);
        if (expectedSha256 != null) {
          String actual = sha256(local);
          if (!actual.equalsIgnoreCase(expectedSha256)) {
            throw new IllegalArgumentException(
                "Ember: model " + model + " has SHA-256 " + actual + ", not the expected " + expectedSha256.toLowerCase(java.util.Locale.ROOT)
                    + "; check the model file or modelSha256 (--model-sha256)");
          }
        }
      } else {
        validateRemote(fs, status, model);
      }
      PASSED.add(version);
    } catch (IOException e) {
      throw new IllegalArgumentException("Ember: cannot read model " + model + ": " + e.getMessage(), e);
    }
  }

  private static void validate(java.nio.file.Path local, String model) {
    try {
      Engine.validate(local);
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new IllegalArgumentException("Ember: model " + model + " cannot be opened: " + firstLine(why), e);
    }
  }

  private static void validateRemote(FileSystem fs, FileStatus status, String model) throws IOException {
    java.nio.file.Path tmp = Files.createTempDirectory("ember-preflight");
    try {
      java.nio.file.Path local;
      if (status.isDirectory()) {
        local = tmp;
        String base = status.getPath().toUri().getPath();
        RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(status.getPath(), true);
        while (it.hasNext()) {
          FileStatus f = it.next();
          java.nio.file.Path target = tmp.resolve(f.getPath().toUri().getPath().substring(base.length() + 1)).normalize();
          if (!target.startsWith(tmp)) {
            throw new IllegalArgumentException("Ember: model file escapes its directory: " + f.getPath());
          }
          Files.createDirectories(target.getParent());
          copyHead(fs, f, target, f.getPath().getName().endsWith(".safetensors") ? safetensorsHead(fs, f) : HEAD_BYTES);
        }
      } else {
        local = tmp.resolve(status.getPath().getName());
        copyHead(fs, status, local, HEAD_BYTES);
      }
      validate(local, model);
    } finally {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The bytes of a safetensors shard that hold its header: the 8-byte length and the JSON. */
  private static long safetensorsHead(FileSystem fs, FileStatus f) throws IOException {
    byte[] b = new byte[8];
    try (InputStream in = fs.open(f.getPath())) {
      if (in.readNBytes(b, 0, 8) < 8) {
        return 8;
      }
    }
    long n = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    return n < 0 || n > HEAD_BYTES ? HEAD_BYTES : 8 + n;
  }

  /** Copies the first {@code head} bytes and extends the file to its full, sparse, length. */
  private static void copyHead(FileSystem fs, FileStatus f, java.nio.file.Path target, long head) throws IOException {
    try (InputStream in = fs.open(f.getPath());
        RandomAccessFile out = new RandomAccessFile(target.toFile(), "rw")) {
      byte[] buffer = new byte[1 << 16];
      long left = Math.min(head, f.getLen());
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          break;
        }
        out.write(buffer, 0, n);
        left -= n;
      }
      out.setLength(f.getLen());
    }
  }

  private static String sha256(java.nio.file.Path file) throws IOException {
    java.security.MessageDigest digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String firstLine(String s) {
    int end = s.indexOf('\n');
    return end < 0 ? s : s.substring(0, end);
  }
}
