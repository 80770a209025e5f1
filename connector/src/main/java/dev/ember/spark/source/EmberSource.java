package dev.ember.spark.source;

import java.util.Map;

import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * {@code spark.read.format("ember")}: reads a prompt dataset (JSON Lines or text lines) and
 * returns each row with the model's results, as Arrow-backed columnar batches, with token
 * metrics on the scan node of the SQL UI. See {@link SourceOptions} for the options.
 */
public final class EmberSource implements TableProvider, DataSourceRegister {
  @Override
  public String shortName() {
    return "ember";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    // Spark calls getTable right after this, in the same load(): it reuses this call's staged copy.
    return new EmberTable(options, false).schema();
  }

  @Override
  public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new EmberTable(new CaseInsensitiveStringMap(properties), true);
  }
}
