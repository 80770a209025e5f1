package dev.ember.spark.executor;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a model from any Hadoop FileSystem to local disk, once per host.
 *
 * <p>The engine memory-maps its weights, so it needs a local file. Each model source gets one
 * entry directory under the cache root, named by a hash of the source URI and the sizes and
 * modification times of its files, so a changed source gets a fresh entry. Executors on one host
 * share the root: a copy runs under an exclusive {@link FileLock}, is written to a temporary
 * directory, checked, and published with an atomic rename, so a reader never sees a partial
 * entry and a JVM killed mid-copy leaves only a temporary directory that the next copier removes.
 *
 * <p>Checks: each file's length must equal the source's; its SHA-256, computed while streaming it
 * from the source (whose client verifies its own block checksums on read), must equal the SHA-256
 * of the bytes on local disk, and an expected SHA-256 given by the user when there is one. The
 * manifest keeps size and SHA-256 per file; a reused entry is re-hashed once per JVM.
 *
 * <p>Files on the local file system ({@code file:} or a plain path with a local default FS) are
 * used in place: copying them would only double the disk they take.
 */
public final class ModelCache {
  /** System property (and Spark conf {@code spark.ember.model.cacheDir}) naming the cache root. */
  public static final String CACHE_DIR_PROPERTY = "ember.model.cacheDir";

  static final String MANIFEST = "EMBER-MANIFEST";
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final int BUFFER = 1 << 20;

  // FileLock is held per JVM: a second thread of this JVM locking the same file gets an
  // OverlappingFileLockException instead of waiting, so threads queue on this lock first.
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
  // Entries whose every file this JVM has hashed; later lookups only compare sizes.
  private static final Set<Path> VERIFIED = ConcurrentHashMap.newKeySet();

  private final Path root;

  public ModelCache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The cache named by {@link #CACHE_DIR_PROPERTY}, else {@code <java.io.tmpdir>/ember-models}. */
  public static ModelCache defaultCache() {
    String dir = System.getProperty(CACHE_DIR_PROPERTY);
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    if (dir == null && env != null) {
      dir = env.conf().get("spark.ember.model.cacheDir", null);
    }
    return new ModelCache(
        dir != null ? Paths.get(dir) : Paths.get(System.getProperty("java.io.tmpdir"), "ember-models"));
  }

  public Path root() {
    return root;
  }

  /**
   * A local path to the model: the GGUF file itself, or the local copy of an HF directory.
   *
   * @param modelUri a Hadoop FileSystem URI or a plain path (resolved against fs.defaultFS)
   * @param expectedSha256 hex SHA-256 a single-file model must have, or null
   */
  public Path localize(String modelUri, Configuration conf, String expectedSha256) throws IOException {
    org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(modelUri);
    FileSystem fs = source.getFileSystem(conf);
    FileStatus status;
    try {
      status = fs.getFileStatus(source);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException("model not found: " + modelUri);
    }
    source = status.getPath(); // fully qualified
    List<FileStatus> files = status.isDirectory() ? listFiles(fs, source) : List.of(status);
    if (files.isEmpty()) {
      throw new FileNotFoundException("model directory is empty: " + modelUri);
    }
    if (expectedSha256 != null && status.isDirectory()) {
      throw new IllegalArgumentException("an expected SHA-256 applies to a single model file, not a directory");
    }

    if (isLocal(fs)) {
      Path local = Paths.get(source.toUri());
      if (expectedSha256 != null) {
        checkExpected(expectedSha256, sha256(local), local);
      }
      return local;
    }

    String key = entryKey(source, files);
    Path entry = root.resolve(key);
    Path result = status.isDirectory() ? entry : entry.resolve(source.getName());
    Files.createDirectories(root);
    Path lockFile = root.resolve(key + ".lock");
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      if (Files.isDirectory(entry) && entryIsValid(entry, files, source)) {
        LOG.debug("model {} found in cache {}", modelUri, entry);
      } else {
        deleteRecursively(entry);
        removeAbandonedCopies(key);
        copyEntry(fs, source, files, status.isDirectory(), entry, key);
      }
      if (expectedSha256 != null) {
        checkExpected(expectedSha256, readManifest(entry).get(0).sha256(), result);
      }
      return result;
    } finally {
      jvmLock.unlock();
    }
  }

  private static boolean isLocal(FileSystem fs) {
    return fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
  }

  private static List<FileStatus> listFiles(FileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
    List<FileStatus> files = new ArrayList<>();
    RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      files.add(it.next());
    }
    files.sort(Comparator.comparing(f -> f.getPath().toString()));
    return files;
  }

  /** The entry name: readable base name plus a hash of what identifies this version of the source. */
  static String entryKey(org.apache.hadoop.fs.Path source, List<FileStatus> files) {
    StringBuilder identity = new StringBuilder(source.toString());
    for (FileStatus f : files) {
      identity.append('\n').append(f.getPath()).append(' ').append(f.getLen()).append(' ').append(f.getModificationTime());
    }
    String hash = HexFormat.of().formatHex(Digests.sha256().digest(identity.toString().getBytes(StandardCharsets.UTF_8)));
    String name = source.getName().replaceAll("[^A-Za-z0-9._-]", "_");
    return name + "-" + hash.substring(0, 16);
  }

  private void copyEntry(
      FileSystem fs, org.apache.hadoop.fs.Path source, List<FileStatus> files, boolean directory, Path entry, String key)
      throws IOException {
    long start = System.nanoTime();
    Path tmp = root.resolve(key + ".tmp-" + UUID.randomUUID());
    Files.createDirectories(tmp);
    try {
      List<ManifestLine> manifest = new ArrayList<>();
      long bytes = 0;
      for (FileStatus file : files) {
        String relative = directory ? relativize(source, file.getPath()) : file.getPath().getName();
        Path target = tmp.resolve(relative).normalize();
        if (!target.startsWith(tmp)) {
          throw new IOException("model file escapes its directory: " + file.getPath());
        }
        Files.createDirectories(target.getParent());
        String streamed = copyFile(fs, file, target);
        String onDisk = sha256(target);
        if (!streamed.equals(onDisk)) {
          throw new IOException("checksum mismatch after copying " + file.getPath() + " to " + target);
        }
        manifest.add(new ManifestLine(relative, file.getLen(), onDisk));
        bytes += file.getLen();
      }
      writeManifest(tmp, source, manifest);
      Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
      VERIFIED.add(entry);
      LOG.info(
          "copied model {} ({} files, {} bytes) to {} in {} ms",
          source, files.size(), bytes, entry, (System.nanoTime() - start) / 1_000_000);
    } finally {
      deleteRecursively(tmp);
    }
  }

  private static String relativize(org.apache.hadoop.fs.Path dir, org.apache.hadoop.fs.Path file) {
    String base = dir.toUri().getPath();
    String path = file.toUri().getPath();
    if (!path.startsWith(base + "/")) {
      throw new IllegalStateException(file + " is not under " + dir);
    }
    return path.substring(base.length() + 1);
  }

  /** Copies one file and returns the SHA-256 of the bytes read from the source. */
  private static String copyFile(FileSystem fs, FileStatus file, Path target) throws IOException {
    var digest = Digests.sha256();
    long copied = 0;
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = fs.open(file.getPath());
        OutputStream out = Files.newOutputStream(target)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
        out.write(buffer, 0, n);
        copied += n;
      }
    }
    if (copied != file.getLen()) {
      throw new IOException("copied " + copied + " bytes of " + file.getPath() + ", expected " + file.getLen());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static boolean entryIsValid(Path entry, List<FileStatus> files, org.apache.hadoop.fs.Path source) {
    try {
      List<ManifestLine> manifest = readManifest(entry);
      if (manifest.size() != files.size()) {
        return false;
      }
      for (ManifestLine line : manifest) {
        Path file = entry.resolve(line.path());
        if (!Files.isRegularFile(file) || Files.size(file) != line.size()) {
          LOG.warn("cached model file {} is missing or has the wrong size; fetching {} again", file, source);
          return false;
        }
      }
      if (!VERIFIED.contains(entry)) {
        for (ManifestLine line : manifest) {
          if (!sha256(entry.resolve(line.path())).equals(line.sha256())) {
            LOG.warn("cached model file {} fails its checksum; fetching {} again", line.path(), source);
            return false;
          }
        }
        VERIFIED.add(entry);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cache entry {} is unreadable ({}); fetching {} again", entry, e.toString(), source);
      return false;
    }
  }

  private record ManifestLine(String path, long size, String sha256) {}

  private static void writeManifest(Path dir, org.apache.hadoop.fs.Path source, List<ManifestLine> lines)
      throws IOException {
    StringBuilder text = new StringBuilder("# source ").append(source).append('\n');
    for (ManifestLine line : lines) {
      text.append(line.sha256()).append(' ').append(line.size()).append(' ').append(line.path()).append('\n');
    }
    Files.writeString(dir.resolve(MANIFEST), text.toString());
  }

  private static List<ManifestLine> readManifest(Path entry) throws IOException {
    List<ManifestLine> lines = new ArrayList<>();
    for (String line : Files.readAllLines(entry.resolve(MANIFEST))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split(" ", 3);
      lines.add(new ManifestLine(parts[2], Long.parseLong(parts[1]), parts[0]));
    }
    return lines;
  }

  private static void checkExpected(String expected, String actual, Path file) {
    if (!expected.equalsIgnoreCase(actual)) {
      throw new IllegalStateException(
          "model " + file + " has SHA-256 " + actual + " but " + expected + " was expected");
    }
  }

  static String sha256(Path file) throws IOException {
    var digest = Digests.sha256();
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Temporary copies left by a JVM that died mid-copy; only called while holding the entry lock. */
  private void removeAbandonedCopies(String key) throws IOException {
    try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, key + ".tmp-*")) {
      for (Path dir : stale) {
        deleteRecursively(dir);
      }
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Test hook: forget which entries this JVM has hashed. */
  static void forgetVerified() {
    VERIFIED.clear();
  }
}
