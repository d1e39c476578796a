package dev.supervisor.internal;

import java.util.concurrent.ThreadFactory;

/** The one way the engine names its threads: every supervisor thread is findable in a thread dump by its name. */
public final class Threads {
  private Threads() {}

  /** A factory of platform threads all called {@code name}, daemon or not. */
  public static ThreadFactory named(String name, boolean daemon) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(daemon);
      return t;
    };
  }
}
