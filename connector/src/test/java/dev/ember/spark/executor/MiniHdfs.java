package dev.ember.spark.executor;

import java.io.IOException;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real single-DataNode HDFS for tests (hadoop-client-minicluster). It binds to 127.0.0.1 only,
 * keeps its blocks under the given directory, and needs no extra JVM flags on JDK 25 beyond the
 * project's usual module options.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  public MiniHdfs(Path baseDir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.toAbsolutePath().toString());
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    // Small blocks so even the tiny test model spans several blocks and DataNode reads.
    conf.setLong("dfs.namenode.fs-limits.min-block-size", 64 * 1024);
    conf.setLong("dfs.blocksize", 256 * 1024);
    conf.setInt("dfs.bytes-per-checksum", 512);
    this.cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).format(true).build();
    cluster.waitActive();
  }

  public FileSystem fs() throws IOException {
    return cluster.getFileSystem();
  }

  /** hdfs://127.0.0.1:port */
  public String uri() {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  public Configuration conf() {
    return cluster.getConfiguration(0);
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
