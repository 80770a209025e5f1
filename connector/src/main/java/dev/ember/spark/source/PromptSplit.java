package dev.ember.spark.source;

import org.apache.spark.sql.connector.read.InputPartition;

/**
 * A byte range of one prompt file that starts and ends on line boundaries, sized by its
 * estimated tokens (prompt bytes / 4 plus max_tokens per line) rather than by rows, so a partition
 * of long prompts holds fewer rows and tasks take similar time.
 */
record PromptSplit(String path, long start, long end, long lines, long estimatedTokens) implements InputPartition {}
