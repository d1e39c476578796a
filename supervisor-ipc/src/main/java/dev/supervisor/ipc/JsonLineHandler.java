package dev.supervisor.ipc;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Answers one request. Runs on a server worker thread; must be threadsafe. The reply's fields
 * are sent as {@code {"type":"result","id":<request id>, ...}}; throw {@link RpcException} for an
 * error reply. {@code ping} never reaches a handler: the server answers it.
 */
@FunctionalInterface
public interface JsonLineHandler {
  ObjectNode handle(ObjectNode request, Peer peer) throws RpcException;
}
