package dev.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.supervisor.testsupport.ProcessLeakGuard;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The layout is read from /proc, never assumed: the two layouts a supervisor meets, as the kernel prints them. */
@ExtendWith(ProcessLeakGuard.class)
class CgroupsTest {

  @Test
  void aHybridLayoutHasV2UnderUnifiedAndV1ControllersBesideIt() {
    List<CgroupMounts.Mount> mounts = CgroupMounts.mounts(List.of(
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
        "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer",
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"));
    assertThat(mounts).extracting(CgroupMounts.Mount::point).containsExactly(Path.of("/sys/fs/cgroup/freezer"),
        Path.of("/sys/fs/cgroup/pids"), Path.of("/sys/fs/cgroup/cpu,cpuacct"), Path.of("/sys/fs/cgroup/unified"));
    assertThat(mounts.get(2).superOptions()).contains("cpu", "cpuacct");
    assertThat(CgroupMounts.ownCgroups(List.of("6:freezer:/", "2:cpu,cpuacct:/x", "0::/")))
        .containsEntry("freezer", "/").containsEntry("cpuacct", "/x").containsEntry("", "/");
  }

  @Test
  void aPureV2LayoutHasOneMountAndOneLine() {
    List<CgroupMounts.Mount> mounts = CgroupMounts.mounts(List.of(
        "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot",
        "30 23 0:27 / /sys/fs/my\\040cgroups rw - cgroup2 none rw"));
    assertThat(mounts).extracting(CgroupMounts.Mount::point).containsExactly(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/my cgroups"));
    assertThat(mounts.get(0).fstype()).isEqualTo("cgroup2");
    assertThat(CgroupMounts.ownCgroups(List.of("0::/system.slice/agentd.service")))
        .containsExactly(java.util.Map.entry("", "/system.slice/agentd.service"));
  }

  @Test
  void containmentModesHaveTheirDocumentedNames() {
    assertThat(Cgroups.Mode.parse("process-group")).isEqualTo(Cgroups.Mode.PROCESS_GROUP);
    assertThat(Cgroups.Mode.parse("CGROUP-V1-FREEZER")).isEqualTo(Cgroups.Mode.V1_FREEZER);
    assertThatThrownBy(() -> Cgroups.Mode.parse("systemd")).hasMessageContaining("auto, cgroup-v2");
  }

  @Test
  void theJoinIsAShellThatWritesItsOwnPidAndExecsTheRest() {
    assertThat(Cgroups.JOIN_SCRIPT).isEqualTo("echo $$ > \"$0\" && exec \"$@\"");
  }
}
