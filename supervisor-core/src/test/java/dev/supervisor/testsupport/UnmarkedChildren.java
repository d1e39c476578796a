package dev.supervisor.testsupport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets a test's JVM have direct children without the leak-guard mark, for code under test that
 * clears its children's environment on purpose (the executor's commands). They are still tracked:
 * each must be gone, with its process group, after the test. The reason is required and is
 * printed in the failure message of any leak.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface UnmarkedChildren {
  /** Why this test's children cannot carry the mark. */
  String value();
}
