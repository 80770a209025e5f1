package dev.ember.spark.sql;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression$;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.rules.Rule;

import dev.ember.spark.frame.Ember;

import scala.runtime.AbstractPartialFunction;

/**
 * Batch evaluation of the SQL functions: an optimizer rule that takes a projection's
 * {@code ember_generate} / {@code ember_score} calls out of the row-at-a-time path and runs them
 * as {@code Ember.runOnPartitions} over the projection's input, so each task keeps a window of
 * requests in the shared engine, as the DataFrame API does. Shape (like Spark's own
 * {@code ExtractPythonUDFs}):
 *
 * <pre>
 * Project(a, ember_generate(m, p) AS r)      Project(a', ember_out_0 AS r)
 *   child                               →      MapPartitions(RowPipeline)   (Ember.runOnPartitions)
 *                                                Project(child.output, p AS ember_prompt_0)
 *                                                  child
 * </pre>
 *
 * The outer projection keeps every output attribute's ExprId, so the plan above it is untouched.
 * Calls whose options map is computed per row stay row-at-a-time (their options differ by row).
 */
final class EmberBatchRule extends Rule<LogicalPlan> {
  private final SparkSession spark;

  EmberBatchRule(SparkSession spark) {
    this.spark = spark;
  }

  @Override
  public LogicalPlan apply(LogicalPlan plan) {
    if (!Boolean.parseBoolean(spark.conf().get("spark.ember.sql.batch", "true"))) {
      return plan; // row-at-a-time, for comparison
    }
    return plan.transformUp(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan p) {
        return p instanceof Project project && !calls(project).isEmpty();
      }

      @Override
      public LogicalPlan apply(LogicalPlan p) {
        return rewrite((Project) p);
      }
    });
  }

  /** The batchable calls of a projection, each once, in order. */
  private static List<ApplyFunctionExpression> calls(Project project) {
    List<ApplyFunctionExpression> out = new ArrayList<>();
    Map<ApplyFunctionExpression, Boolean> seen = new IdentityHashMap<>();
    for (NamedExpression ne : scala.jdk.javaapi.CollectionConverters.asJava(project.projectList())) {
      ((Expression) ne).foreach(new scala.runtime.AbstractFunction1<Expression, scala.runtime.BoxedUnit>() {
        @Override
        public scala.runtime.BoxedUnit apply(Expression e) {
          if (e instanceof ApplyFunctionExpression call && call.function() instanceof TaskFunction f && f.mapArg() < 0
              && seen.put(call, Boolean.TRUE) == null) {
            out.add(call);
          }
          return scala.runtime.BoxedUnit.UNIT;
        }
      });
    }
    return out;
  }

  private LogicalPlan rewrite(Project project) {
    List<ApplyFunctionExpression> calls = calls(project);
    LogicalPlan child = project.child();
    List<Attribute> childOutput = scala.jdk.javaapi.CollectionConverters.asJava(child.output());
    // 1. The prompts as columns.
    List<NamedExpression> withPrompts = new ArrayList<>(childOutput);
    for (int k = 0; k < calls.size(); k++) {
      TaskFunction f = (TaskFunction) calls.get(k).function();
      Expression prompt = calls.get(k).children().apply(f.promptArg());
      withPrompts.add(alias(prompt, "__ember_prompt_" + k, NamedExpression$.MODULE$.newExprId()));
    }
    LogicalPlan prompts = new Project(seq(withPrompts), child);
    // 2. Each call as a batch over the partitions.
    Dataset<Row> df = org.apache.spark.sql.classic.Dataset$.MODULE$.ofRows((org.apache.spark.sql.classic.SparkSession) spark, prompts);
    for (int k = 0; k < calls.size(); k++) {
      TaskFunction f = (TaskFunction) calls.get(k).function();
      df = Ember.runOnPartitions(
          df, f.task(), f.options().withPromptColumn("__ember_prompt_" + k).withOutputCol("__ember_out_" + k).withFlattenPrefix(null));
    }
    LogicalPlan batched = df.queryExecution().analyzed();
    List<Attribute> out = scala.jdk.javaapi.CollectionConverters.asJava(batched.output());
    // 3. The projection over the new attributes, keeping its output ExprIds.
    Map<ExprId, Attribute> byOld = new HashMap<>();
    for (int i = 0; i < childOutput.size(); i++) {
      byOld.put(childOutput.get(i).exprId(), out.get(i));
    }
    Map<ApplyFunctionExpression, Attribute> results = new IdentityHashMap<>();
    for (int k = 0; k < calls.size(); k++) {
      results.put(calls.get(k), out.get(childOutput.size() + calls.size() + k));
    }
    List<NamedExpression> list = new ArrayList<>();
    for (NamedExpression ne : scala.jdk.javaapi.CollectionConverters.asJava(project.projectList())) {
      // Top-down, so a call is replaced whole before its arguments would be rewritten (which would copy it).
      Expression replaced = ((Expression) ne).transformDown(new AbstractPartialFunction<Expression, Expression>() {
        @Override
        public boolean isDefinedAt(Expression e) {
          return (e instanceof ApplyFunctionExpression call && results.containsKey(call))
              || (e instanceof Attribute a && byOld.containsKey(a.exprId()));
        }

        @Override
        public Expression apply(Expression e) {
          return e instanceof ApplyFunctionExpression call ? results.get(call) : byOld.get(((Attribute) e).exprId());
        }
      });
      if (replaced instanceof Alias a && ne instanceof Alias) {
        list.add(a); // the transform keeps an Alias's ExprId
      } else {
        list.add(alias(replaced, ne.name(), ne.exprId()));
      }
    }
    return new Project(seq(list), batched);
  }

  private static Alias alias(Expression child, String name, ExprId id) {
    return new Alias(child, name, id, seq(List.<String>of()), scala.Option.empty(), seq(List.<String>of()));
  }

  private static <T> scala.collection.immutable.Seq<T> seq(List<T> list) {
    return scala.jdk.javaapi.CollectionConverters.asScala(list).toList();
  }
}
