package io.lakehose.commit.folders;

import io.lakehose.config.ConfigException;
import io.lakehose.partition.LakeLayout;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** S3's 1,024-byte key limit, checked at start for the longest key the layout can write. */
class KeyLengthsTest {

    @Test
    void theDefaultLayoutWithALongStreamNameFits() {
        assertThatCode(() -> KeyLengths.check(new LakeLayout("cdc/prod", LakeLayout.DEFAULT_TEMPLATE, "errors"),
                "s".repeat(128))).doesNotThrowAnyException();
    }

    @Test
    void aPrefixThatLeavesNoRoomForA255CharacterTableIsRefusedNamingTheSetting() {
        String prefix = "lake/" + "p".repeat(700);
        assertThatThrownBy(() -> KeyLengths.check(new LakeLayout(prefix, LakeLayout.DEFAULT_TEMPLATE, "errors"),
                "orders-cdc"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lake.uri / lake.pathTemplate")
                .hasMessageContaining("over S3's 1024");
    }

    /** convert's shard is the input's, up to local- and 40 characters: checked as it is, not as a Kinesis id. */
    @Test
    void convertChecksItsOwnShardId() {
        String prefix = "lake/" + "p".repeat(600);
        while (fits(prefix + "p", "shardId-000000000000")) {
            prefix += "p";
        }
        LakeLayout justFitsAKinesisShard = new LakeLayout(prefix, LakeLayout.DEFAULT_TEMPLATE, "errors");
        assertThatCode(() -> KeyLengths.check(justFitsAKinesisShard, "local")).doesNotThrowAnyException();
        assertThatCode(() -> KeyLengths.check(justFitsAKinesisShard, "local", "local-0123456789ab"))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> KeyLengths.check(justFitsAKinesisShard, "local", "local-" + "n".repeat(40)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lake.uri / lake.pathTemplate");
    }

    private static boolean fits(String prefix, String shardId) {
        try {
            KeyLengths.check(new LakeLayout(prefix, LakeLayout.DEFAULT_TEMPLATE, "errors"), "local", shardId);
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    @Test
    void aLongErrorPrefixIsRefusedNamingIt() {
        assertThatThrownBy(() -> KeyLengths.check(new LakeLayout("cdc", LakeLayout.DEFAULT_TEMPLATE,
                "e".repeat(700)), "orders-cdc"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("lake.errorPrefix");
    }
}
