package dev.supervisor.examples.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The unprivileged account agentd's three children run as when agentd itself runs as root
 * ({@code --child-user NAME}, {@code nobody} when none is named), and the ownership that lets
 * them work: the home and {@code work/} traversable by the account's group only (0710), each
 * child's {@code work/NAME/} (socket, temp files, the scheduler's database) and the workspace
 * owned by the account (0700), the audit log owned by it (0600), the policy and the public key
 * readable by its group (0640), the validator's signing key owned by it (0600). Started as anyone else, the children run as that same user and nothing changes
 * owner.
 *
 * @param name the account's name
 * @param uid its uid
 * @param gid its primary gid
 */
public record ChildUser(String name, long uid, long gid) {
  /** The account to use: {@code option} or {@code nobody} when this process is root; empty otherwise. */
  public static Optional<ChildUser> resolve(String option) throws IOException {
    if (!isRoot()) {
      if (option != null) {
        throw new IOException("--child-user " + option + " needs agentd to run as root (it runs as uid " + ProcessHandle.current()
            .info().user().orElse("?") + "); leave it out to run the children as yourself");
      }
      return Optional.empty();
    }
    String name = option != null ? option : "nobody";
    long uid = id(name, "-u");
    long gid = id(name, "-g");
    if (uid == 0) {
      throw new IOException("--child-user " + name + " is root: name an unprivileged account, or leave it out for nobody");
    }
    return Optional.of(new ChildUser(name, uid, gid));
  }

  /** Whether this process runs with uid 0. */
  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+")[2].equals("0");
        }
      }
    } catch (IOException e) {
      // not Linux: assume not root
    }
    return false;
  }

  private static long id(String name, String flag) throws IOException {
    try {
      Process p = new ProcessBuilder("id", flag, name).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.matches("[0-9]+")) {
        throw new IOException("--child-user: no such user '" + name + "' (" + out + "); create it or name another");
      }
      return Long.parseLong(out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while looking up user '" + name + "'", e);
    }
  }

  /**
   * Checks that the account can reach {@code home}: every directory above it must be searchable
   * by it (as owner, group or other).
   *
   * @throws IOException naming the first directory it cannot pass and the fixes
   */
  public void checkReachable(AgentdHome home) throws IOException {
    for (Path d = home.root().getParent(); d != null; d = d.getParent()) {
      java.nio.file.attribute.PosixFileAttributes a = Files.readAttributes(d, java.nio.file.attribute.PosixFileAttributes.class);
      String mode = PosixFilePermissions.toString(a.permissions());
      long owner = (Integer) Files.getAttribute(d, "unix:uid");
      long group = (Integer) Files.getAttribute(d, "unix:gid");
      char x = owner == uid ? mode.charAt(2) : group == gid ? mode.charAt(5) : mode.charAt(8);
      if (x != 'x') {
        throw new IOException("the children run as " + name + " (uid " + uid + "), who cannot reach the home " + home.root()
            + ": " + d + " is " + mode + "; choose a --home they can reach (as root the default is /var/lib/agentd), make "
            + d + " searchable (chmod o+x), or name another --child-user");
      }
    }
  }

  /**
   * Gives the children what they need of {@code home}, and nothing more: see the class comment.
   * Files a root-run CLI left in the children's directories (a job database journal) are handed
   * back to the account too.
   */
  public void prepare(AgentdHome home) throws IOException {
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    UserPrincipal user = lookup.lookupPrincipalByName(Long.toString(uid));
    GroupPrincipal group = lookup.lookupPrincipalByGroupName(Long.toString(gid));
    for (Path shared : new Path[] {home.root(), home.root().resolve("work")}) {
      view(shared).setGroup(group);
      Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x---"));
    }
    for (String c : Trio.NAMES) {
      chownTree(home.workDir(c), user, group);
    }
    Path lib = home.root().resolve("lib"); // the copy of the jar the children start from (Trio.childClassPath)
    if (Files.isDirectory(lib, LinkOption.NOFOLLOW_LINKS)) {
      view(lib).setGroup(group);
      Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwx--x---"));
      try (Stream<Path> jars = Files.list(lib)) {
        for (Path j : (Iterable<Path>) jars::iterator) {
          if (Files.isRegularFile(j, LinkOption.NOFOLLOW_LINKS)) {
            view(j).setGroup(group);
            Files.setPosixFilePermissions(j, PosixFilePermissions.fromString("rw-r-----"));
          }
        }
      }
    }
    chownTree(home.workspace(), user, group);
    if (Files.exists(home.audit(), LinkOption.NOFOLLOW_LINKS)) {
      view(home.audit()).setOwner(user);
    }
    // keys/ and keys/public/ traversable by the group, the public key readable by it (the executor
    // verifies, never writes); keys/validator/ and the private key owned by the account (the validator signs)
    for (Path shared : new Path[] {home.keys(), home.verifyKey().getParent()}) {
      if (Files.isDirectory(shared, LinkOption.NOFOLLOW_LINKS)) {
        view(shared).setGroup(group);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x---"));
      }
    }
    if (Files.exists(home.verifyKey(), LinkOption.NOFOLLOW_LINKS)) {
      view(home.verifyKey()).setGroup(group);
      Files.setPosixFilePermissions(home.verifyKey(), PosixFilePermissions.fromString("rw-r-----"));
    }
    chownTree(home.signingKey().getParent(), user, group);
    if (Files.exists(home.policy(), LinkOption.NOFOLLOW_LINKS)) {
      view(home.policy()).setGroup(group);
      Files.setPosixFilePermissions(home.policy(), PosixFilePermissions.fromString("rw-r-----"));
    }
  }

  /**
   * Hands {@code dir} and the files the supervisor itself puts in it to the account, never
   * following a link and never walking further down: the account owns these directories, so it
   * could swap anything below them for a link to a file of root's between a check and a chown.
   * The direct entries are changed with {@code lchown} and only while they have one link (a hard
   * link to another file would hand that file over).
   */
  private static void chownTree(Path dir, UserPrincipal user, GroupPrincipal group) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    chown(dir, user, group);
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || singlyLinkedFile(p)) {
          chown(p, user, group);
        }
      }
    }
  }

  /** Gives {@code file} (in a directory of the account's) back to the account: lchown, one link only. */
  public void handBack(Path file) throws IOException {
    if (singlyLinkedFile(file)) {
      UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
      chown(file, lookup.lookupPrincipalByName(Long.toString(uid)), lookup.lookupPrincipalByGroupName(Long.toString(gid)));
    }
  }

  private static boolean singlyLinkedFile(Path p) throws IOException {
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
        && ((Number) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue() == 1;
  }

  private static void chown(Path p, UserPrincipal user, GroupPrincipal group) throws IOException {
    PosixFileAttributeView v = view(p);
    v.setOwner(user);
    v.setGroup(group);
  }

  private static PosixFileAttributeView view(Path p) {
    return Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
  }
}
