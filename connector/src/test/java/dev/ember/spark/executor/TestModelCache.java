package dev.ember.spark.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ember.spark.SparkTestBase;

/** Model fetch from a real MiniDFSCluster into the host cache. */
class TestModelCache {
  @TempDir static Path hdfsDir;
  private static MiniHdfs hdfs;
  private static byte[] modelBytes;

  @TempDir Path cacheDir;
  private ModelCache cache;

  @BeforeAll
  static void startHdfs() throws Exception {
    hdfs = new MiniHdfs(hdfsDir);
    Path model = SparkTestBase.storiesModel();
    modelBytes = Files.readAllBytes(model);
    FileSystem fs = hdfs.fs();
    fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(model.toString()), new org.apache.hadoop.fs.Path("/models/stories260K.gguf"));
    // An HF-style directory: several files, one in a subdirectory.
    fs.mkdirs(new org.apache.hadoop.fs.Path("/models/hf/sub"));
    try (var out = fs.create(new org.apache.hadoop.fs.Path("/models/hf/config.json"))) {
      out.write("{\"model_type\":\"llama\"}".getBytes());
    }
    fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(model.toString()), new org.apache.hadoop.fs.Path("/models/hf/sub/weights.bin"));
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @BeforeEach
  void newCache() {
    cache = new ModelCache(cacheDir);
    ModelCache.forgetVerified();
  }

  private String modelUri() {
    return hdfs.uri() + "/models/stories260K.gguf";
  }

  @Test
  void copiesOnceAndReusesTheVerifiedCopy() throws Exception {
    Path local = cache.localize(modelUri(), new Configuration(), null);
    assertTrue(local.startsWith(cacheDir));
    assertArrayEquals(modelBytes, Files.readAllBytes(local));
    long written = Files.getLastModifiedTime(local).toMillis();

    Path again = cache.localize(modelUri(), new Configuration(), null);
    assertEquals(local, again);
    assertEquals(written, Files.getLastModifiedTime(again).toMillis(), "second lookup must not copy again");
    assertEquals(1, entries().size());
  }

  @Test
  void concurrentTasksShareOneCopy() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Path>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> cache.localize(modelUri(), new Configuration(), null)));
      }
      Path first = futures.get(0).get(60, TimeUnit.SECONDS);
      for (Future<Path> f : futures) {
        assertEquals(first, f.get(60, TimeUnit.SECONDS));
      }
      assertArrayEquals(modelBytes, Files.readAllBytes(first));
      assertEquals(1, entries().size(), "one entry, no temporary copies left: " + entries());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentJvmsShareOneCopy() throws Exception {
    // Two other JVMs and this one fetch at once; only the FileLock keeps them apart.
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      children.add(
          new ProcessBuilder(java, "-cp", classpath, FetchMain.class.getName(), cacheDir.toString(), modelUri())
              .redirectErrorStream(true)
              .redirectOutput(cacheDir.resolve("child-" + i + ".log").toFile())
              .start());
    }
    Path local = cache.localize(modelUri(), new Configuration(), null);
    for (int i = 0; i < children.size(); i++) {
      Process p = children.get(i);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
      String log = Files.readString(cacheDir.resolve("child-" + i + ".log"));
      assertEquals(0, p.exitValue(), log);
      assertTrue(log.contains("LOCAL=" + local), log);
    }
    assertArrayEquals(modelBytes, Files.readAllBytes(local));
    assertEquals(1, entries().size(), "entries: " + entries());
  }

  @Test
  void corruptedCopyIsFetchedAgain() throws Exception {
    Path local = cache.localize(modelUri(), new Configuration(), null);
    byte[] corrupt = modelBytes.clone();
    corrupt[corrupt.length / 2] ^= 0x5a; // same size, different content: only the checksum sees it
    Files.write(local, corrupt);
    ModelCache.forgetVerified(); // as a fresh executor JVM would

    Path again = cache.localize(modelUri(), new Configuration(), null);
    assertArrayEquals(modelBytes, Files.readAllBytes(again));
  }

  @Test
  void truncatedCopyIsFetchedAgain() throws Exception {
    Path local = cache.localize(modelUri(), new Configuration(), null);
    Files.write(local, new byte[10]);
    Path again = cache.localize(modelUri(), new Configuration(), null);
    assertArrayEquals(modelBytes, Files.readAllBytes(again));
  }

  @Test
  void abandonedTemporaryCopyIsRemoved() throws Exception {
    Path local = cache.localize(modelUri(), new Configuration(), null);
    Path entry = local.getParent();
    // Simulate a JVM killed mid-copy before any entry was published.
    Path tmp = cacheDir.resolve(entry.getFileName() + ".tmp-dead");
    Files.createDirectories(tmp);
    Files.write(tmp.resolve("stories260K.gguf"), new byte[100]);
    deleteTree(entry);

    Path again = cache.localize(modelUri(), new Configuration(), null);
    assertArrayEquals(modelBytes, Files.readAllBytes(again));
    assertEquals(1, entries().size(), "entries: " + entries());
  }

  @Test
  void directoryModelIsCopiedWithItsLayout() throws Exception {
    Path local = cache.localize(hdfs.uri() + "/models/hf", new Configuration(), null);
    assertTrue(Files.isDirectory(local));
    assertEquals("{\"model_type\":\"llama\"}", Files.readString(local.resolve("config.json")));
    assertArrayEquals(modelBytes, Files.readAllBytes(local.resolve("sub/weights.bin")));
  }

  @Test
  void expectedChecksumIsEnforced() throws Exception {
    String sha = ModelCache.sha256(SparkTestBase.storiesModel());
    assertEquals(cache.localize(modelUri(), new Configuration(), null), cache.localize(modelUri(), new Configuration(), sha));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> cache.localize(modelUri(), new Configuration(), "00" + sha.substring(2)));
    assertTrue(e.getMessage().contains("was expected"), e.getMessage());
  }

  @Test
  void missingModelFailsClearly() {
    FileNotFoundException e =
        assertThrows(FileNotFoundException.class, () -> cache.localize(hdfs.uri() + "/models/nope.gguf", new Configuration(), null));
    assertTrue(e.getMessage().contains("model not found"), e.getMessage());
  }

  @Test
  void localFilesAreUsedInPlace() throws Exception {
    Path model = SparkTestBase.storiesModel();
    assertEquals(model.toRealPath(), cache.localize(model.toString(), new Configuration(), null).toRealPath());
    assertEquals(model.toRealPath(), cache.localize(model.toUri().toString(), new Configuration(), null).toRealPath());
    assertTrue(entries().isEmpty());
  }

  @Test
  void changedSourceGetsANewEntry() throws Exception {
    FileSystem fs = hdfs.fs();
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/models/changing.gguf");
    try (var out = fs.create(path, true)) {
      out.write(new byte[] {1, 2, 3});
    }
    Path first = cache.localize(hdfs.uri() + path, new Configuration(), null);
    try (var out = fs.create(path, true)) {
      out.write(new byte[] {4, 5, 6, 7});
    }
    Path second = cache.localize(hdfs.uri() + path, new Configuration(), null);
    assertNotEquals(first, second);
    assertArrayEquals(new byte[] {4, 5, 6, 7}, Files.readAllBytes(second));
  }

  @Test
  void theDriverOpensARemoteModelFromItsHeadsOnly() throws Exception {
    dev.ember.spark.frame.ModelPreflight.check(modelUri(), null, new Configuration());
    org.apache.hadoop.fs.Path truncated = new org.apache.hadoop.fs.Path("/models/truncated.gguf");
    try (var out = hdfs.fs().create(truncated, true)) {
      out.write(modelBytes, 0, modelBytes.length / 2);
    }
    IllegalArgumentException e = assertThrows(
        IllegalArgumentException.class,
        () -> dev.ember.spark.frame.ModelPreflight.check(hdfs.uri() + truncated, null, new Configuration()));
    assertTrue(e.getMessage().contains("cannot be opened"), e.getMessage());
    assertTrue(entries().isEmpty(), "the check copies nothing into the cache");
  }

  @Test
  void aCacheDirThatIsAFileIsOneClearLine() throws Exception {
    Path file = Files.writeString(cacheDir.resolve("not-a-dir"), "x");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ModelCache(file).localize(modelUri(), new Configuration(), null));
    assertTrue(e.getMessage().contains("cacheDir " + file + " is a file, not a directory"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ModelCache.checkRoot(file.toString()));
  }

  @Test
  void aChangedSourceEvictsTheOldCopyOnceUnused() throws Exception {
    FileSystem fs = hdfs.fs();
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/models/evolving.gguf");
    try (var out = fs.create(path, true)) {
      out.write(new byte[] {1, 2, 3});
    }
    Path first = cache.localize(hdfs.uri() + path, new Configuration(), null);
    try (var out = fs.create(path, true)) {
      out.write(new byte[] {4, 5, 6, 7});
    }
    Path second = cache.localize(hdfs.uri() + path, new Configuration(), null);
    assertTrue(Files.exists(first), "the old copy is kept while an engine of this JVM maps it");
    cache.release(first);
    try (var out = fs.create(path, true)) {
      out.write(new byte[] {8, 9});
    }
    Path third = cache.localize(hdfs.uri() + path, new Configuration(), null);
    assertTrue(Files.notExists(first.getParent()), "released old version removed: " + entries());
    assertTrue(Files.exists(second), "the still-held version stays");
    assertArrayEquals(new byte[] {8, 9}, Files.readAllBytes(third));
  }

  @Test
  void aSizeBudgetEvictsTheLeastRecentlyUsedUnlockedEntries() throws Exception {
    FileSystem fs = hdfs.fs();
    List<String> uris = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/models/budget-" + name + ".bin");
      try (var out = fs.create(path, true)) {
        out.write(new byte[1000]);
      }
      uris.add(hdfs.uri() + path);
    }
    ModelCache small = new ModelCache(cacheDir, 2500); // room for two of the three
    Path a = small.localize(uris.get(0), new Configuration(), null);
    Path b = small.localize(uris.get(1), new Configuration(), null);
    Thread.sleep(20); // distinct last-use times
    small.localize(uris.get(0), new Configuration(), null); // a is now used more recently than b
    small.release(a);
    small.release(a);
    Path c = small.localize(uris.get(2), new Configuration(), null);
    assertTrue(Files.exists(b), "b is locked (in use), so it stays though it is older");
    assertTrue(Files.notExists(a.getParent()), "a is unlocked and over budget: evicted: " + entries());
    small.release(b);
    small.release(c);
    Path a2 = small.localize(uris.get(0), new Configuration(), null);
    assertTrue(Files.notExists(b.getParent()), "b, now unlocked and least recently used, goes: " + entries());
    assertTrue(Files.exists(c) && Files.exists(a2));
  }

  @Test
  void staleTemporariesOfAnyKeyAreCleanedAtStart() throws Exception {
    Path stale = Files.createDirectories(cacheDir.resolve("other-model.gguf-0123456789abcdef.tmp-dead"));
    Files.write(stale.resolve("other-model.gguf"), new byte[100]);
    cache.localize(modelUri(), new Configuration(), null);
    assertTrue(Files.notExists(stale), "entries: " + entries());
  }

  private List<String> entries() throws Exception {
    try (Stream<Path> list = Files.list(cacheDir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> !n.endsWith(".lock") && !n.endsWith(".inuse") && !n.endsWith(".log"))
          .sorted()
          .toList();
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  /** Runs in a child JVM: fetches the model into a shared cache and prints where it landed. */
  public static final class FetchMain {
    public static void main(String[] args) throws Exception {
      Path local = new ModelCache(Path.of(args[0])).localize(args[1], new Configuration(), null);
      System.out.println("LOCAL=" + local);
    }
  }
}
