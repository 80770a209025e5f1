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
import java.util.Map;
import java.util.HashMap;
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
 *
 * <p>Eviction, so that a long-lived executor does not fill its disk: a JVM that uses an entry holds
 * a shared lock on its {@code <key>.inuse} file until {@link #release} (when its engine closes);
 * an entry nobody holds is unlocked and may go. When a source changes, its new entry replaces the
 * old one (removed once unlocked). With a size budget ({@code spark.ember.model.cacheMaxBytes},
 * default unlimited) the least recently used unlocked entries are removed until the cache fits.
 * Temporary copies left by JVMs that died mid-copy are removed the first time a JVM uses the
 * cache. The zero-byte lock files stay: removing one while another JVM waits on it would let two
 * copiers in at once.
 */
public final class ModelCache {
  /** System property (and Spark conf {@code spark.ember.model.cacheDir}) naming the cache root. */
  public static final String CACHE_DIR_PROPERTY = "ember.model.cacheDir";
  /** System property (and Spark conf {@code spark.ember.model.cacheMaxBytes}) bounding the cache's size; 0 = unlimited. */
  public static final String CACHE_MAX_BYTES_PROPERTY = "ember.model.cacheMaxBytes";

  static final String MANIFEST = "EMBER-MANIFEST";
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final int BUFFER = 1 << 20;

  // FileLock is held per JVM: a second thread of this JVM locking the same file gets an
  // OverlappingFileLockException instead of waiting, so threads queue on this lock first.
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
  // Entries whose every file this JVM has hashed; later lookups only compare sizes.
  private static final Set<Path> VERIFIED = ConcurrentHashMap.newKeySet();
  // Roots whose stale temporary copies this JVM has removed.
  private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();
  // This JVM's shared locks on entries it uses, with how many users each has.
  private static final Map<Path, InUse> IN_USE = new HashMap<>();

  private final Path root;
  private final long maxBytes;

  public ModelCache(Path root) {
    this(root, 0);
  }

  /** A cache at {@code root} holding at most {@code maxBytes} of unlocked entries (0: no limit). */
  public ModelCache(Path root, long maxBytes) {
    this.root = root.toAbsolutePath().normalize();
    this.maxBytes = maxBytes;
  }

  private record InUse(FileChannel channel, FileLock lock, int users) {}

  /** The cache named by {@link #CACHE_DIR_PROPERTY}, else {@code <java.io.tmpdir>/ember-models}. */
  public static ModelCache defaultCache() {
    String dir = System.getProperty(CACHE_DIR_PROPERTY);
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    if (dir == null && env != null) {
      dir = env.conf().get("spark.ember.model.cacheDir", null);
    }
    String max = System.getProperty(CACHE_MAX_BYTES_PROPERTY);
    if (max == null && env != null) {
      max = env.conf().get("spark.ember.model.cacheMaxBytes", null);
    }
    return new ModelCache(
        dir != null ? Paths.get(dir) : Paths.get(System.getProperty("java.io.tmpdir"), "ember-models"),
        max == null ? 0 : Long.parseLong(max.trim()));
  }

  public Path root() {
    return root;
  }

  /**
   * Driver-side check of a configured cache root ({@code spark.ember.model.cacheDir}; null when
   * unset): one clear line when it names something that is not a directory, before any task
   * fails on it.
   */
  public static void checkRoot(String dir) {
    if (dir == null || dir.isBlank()) {
      return;
    }
    Path root = Paths.get(dir);
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new IllegalArgumentException(
          "Ember: spark.ember.model.cacheDir " + dir + " is a file, not a directory; point it at a directory (it is created when missing)");
    }
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
    checkRoot(root.toString());
    Files.createDirectories(root);
    sweepOnce();
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
      hold(key);
      Files.setLastModifiedTime(entry.resolve(MANIFEST), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
    } finally {
      jvmLock.unlock();
    }
    evict(key, source.toString());
    return result;
  }

  /**
   * Marks this JVM done with the entry that {@link #localize} returned {@code local} from (once
   * per localize); an entry no JVM holds may be evicted. A local model used in place is ignored.
   */
  public void release(Path local) {
    Path p = local.toAbsolutePath().normalize();
    if (!p.startsWith(root) || p.equals(root)) {
      return;
    }
    String key = root.relativize(p).getName(0).toString();
    synchronized (IN_USE) {
      Path file = root.resolve(key + ".inuse");
      InUse u = IN_USE.get(file);
      if (u == null) {
        return;
      }
      if (u.users() > 1) {
        IN_USE.put(file, new InUse(u.channel(), u.lock(), u.users() - 1));
        return;
      }
      IN_USE.remove(file);
      try {
        u.lock().release();
        u.channel().close();
      } catch (IOException e) {
        LOG.warn("releasing {} failed: {}", file, e.toString());
      }
    }
  }

  /** Takes (or counts another user of) this JVM's shared lock on the entry. */
  private void hold(String key) throws IOException {
    Path file = root.resolve(key + ".inuse");
    synchronized (IN_USE) {
      InUse u = IN_USE.get(file);
      if (u != null) {
        IN_USE.put(file, new InUse(u.channel(), u.lock(), u.users() + 1));
        return;
      }
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        IN_USE.put(file, new InUse(channel, channel.lock(0, Long.MAX_VALUE, true), 1));
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }
  }

  /**
   * Runs {@code action} on an entry when no JVM uses it (this one included), under its copy
   * lock; returns false, doing nothing, when it is in use or being copied.
   */
  private boolean ifUnused(String key, IoAction action) throws IOException {
    Path inUse = root.resolve(key + ".inuse");
    synchronized (IN_USE) {
      if (IN_USE.containsKey(inUse)) {
        return false;
      }
      ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(root.resolve(key + ".lock"), p -> new ReentrantLock());
      if (!jvmLock.tryLock()) {
        return false;
      }
      try (FileChannel copy = FileChannel.open(root.resolve(key + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock copying = copy.tryLock()) {
        if (copying == null) {
          return false;
        }
        try (FileChannel use = FileChannel.open(inUse, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock used = use.tryLock()) {
          if (used == null) {
            return false;
          }
          action.run();
          return true;
        }
      } finally {
        jvmLock.unlock();
      }
    }
  }

  private interface IoAction {
    void run() throws IOException;
  }

  /** Once per JVM and root: removes temporary copies whose copier is gone (its key's lock is free). */
  private void sweepOnce() throws IOException {
    if (!SWEPT.add(root)) {
      return;
    }
    try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, "*.tmp-*")) {
      for (Path tmp : stale) {
        String name = tmp.getFileName().toString();
        String key = name.substring(0, name.lastIndexOf(".tmp-"));
        if (ifUnused(key, () -> deleteRecursively(tmp))) {
          LOG.info("removed the abandoned temporary copy {}", tmp);
        }
      }
    }
  }

  /**
   * Removes the unlocked entries of older versions of {@code source}, then, over the size budget,
   * the least recently used unlocked entries other than {@code current}.
   */
  private void evict(String current, String source) {
    try {
      List<Path> entries = new ArrayList<>();
      try (DirectoryStream<Path> all = Files.newDirectoryStream(root, p -> Files.isDirectory(p) && !p.getFileName().toString().contains(".tmp-"))) {
        all.forEach(entries::add);
      }
      List<Path> kept = new ArrayList<>();
      for (Path entry : entries) {
        String key = entry.getFileName().toString();
        if (!key.equals(current) && source.equals(sourceOf(entry)) && ifUnused(key, () -> deleteRecursively(entry))) {
          VERIFIED.remove(entry);
          LOG.info("removed {}, the copy of an older version of {}", entry, source);
        } else {
          kept.add(entry);
        }
      }
      if (maxBytes <= 0) {
        return;
      }
      long total = 0;
      for (Path entry : kept) {
        total += entryBytes(entry);
      }
      kept.sort(Comparator.comparingLong(ModelCache::lastUsed));
      for (Path entry : kept) {
        if (total <= maxBytes) {
          break;
        }
        String key = entry.getFileName().toString();
        long bytes = entryBytes(entry);
        if (!key.equals(current) && ifUnused(key, () -> deleteRecursively(entry))) {
          VERIFIED.remove(entry);
          total -= bytes;
          LOG.info("removed the least recently used model copy {} ({} bytes) to keep the cache under {} bytes", entry, bytes, maxBytes);
        }
      }
      if (total > maxBytes) {
        LOG.warn("model cache {} holds {} bytes, over its budget of {}: the rest is in use", root, total, maxBytes);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("model cache eviction in {} failed: {}", root, e.toString());
    }
  }

  private static String sourceOf(Path entry) {
    try {
      String first = Files.readAllLines(entry.resolve(MANIFEST)).get(0);
      return first.startsWith("# source ") ? first.substring("# source ".length()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long entryBytes(Path entry) {
    try {
      return readManifest(entry).stream().mapToLong(ManifestLine::size).sum();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long lastUsed(Path entry) {
    try {
      return Files.getLastModifiedTime(entry.resolve(MANIFEST)).toMillis();
    } catch (IOException e) {
      return 0;
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
          "Ember: model " + file + " has SHA-256 " + actual + " but " + expected + " was expected; check the model or modelSha256");
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
