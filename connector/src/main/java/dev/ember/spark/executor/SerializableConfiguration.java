package dev.ember.spark.executor;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;

import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop Configuration that travels to executors (Spark's own wrapper is internal), so model
 * URIs resolve there with the driver's file system settings (HA name services, s3a credentials
 * providers and the like).
 */
public final class SerializableConfiguration implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private transient Configuration conf;

  public SerializableConfiguration(Configuration conf) {
    this.conf = conf;
  }

  public Configuration get() {
    return conf;
  }

  @Serial
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    conf.write(out);
  }

  @Serial
  private void readObject(ObjectInputStream in) throws IOException {
    conf = new Configuration(false);
    conf.readFields(in);
  }
}
