package dev.ember.spark.frame;

import java.io.Serializable;

/**
 * Where a row's conversation comes from when prompts should go through the model's chat template:
 * a {@code messages} column (an array of structs or maps with {@code role} and {@code content}),
 * or a {@code user} column with an optional {@code system} column. All null means plain prompts.
 */
public record ChatColumns(String messages, String system, String user) implements Serializable {
  public static ChatColumns off() {
    return new ChatColumns(null, null, null);
  }

  public static ChatColumns messages(String column) {
    return new ChatColumns(column, null, null);
  }

  /** {@code system} may be null: then each conversation is the user message alone. */
  public static ChatColumns systemAndUser(String system, String user) {
    return new ChatColumns(null, system, user);
  }

  public boolean enabled() {
    return messages != null || user != null;
  }

  void validate() {
    if (messages != null && (system != null || user != null)) {
      throw new IllegalArgumentException("chat: give a messages column or system/user columns, not both");
    }
    if (system != null && user == null) {
      throw new IllegalArgumentException("chat: a system column needs a user column too");
    }
  }
}
