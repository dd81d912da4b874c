/// The release this build is: the agent's User-Agent, the images' tags (`scripts/build-images.sh`
/// reads it from here), and what a collector records in the databases it writes, so that an
/// older release refuses a database a newer one migrated, naming both.
public enum ReleaseVersion {
    public static let current = "0.1.0"
}
