package dev.supervisor.ipc;

import java.nio.file.Path;

/** A child that serves ping on {@code args[0]} until killed. */
public final class PingServerMain {
  public static void main(String[] args) throws Exception {
    JsonLineServer.builder(Path.of(args[0])).build().start();
    Thread.currentThread().join();
  }
}
