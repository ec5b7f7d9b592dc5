namespace SmarterFirms.Data.Entities;

// One signed checkpoint of a chain (a firm's, or the platform's for firm-less events): the rows of the chain whose
// occurred_at falls in [RangeFrom, RangeTo), in (occurred_at, id) order, linked to the previous seal by its hash.
// Written only by the sealer's role and the worker; docs/audit.md specifies every byte.
public class AuthLogSeal
{
    public Guid ChainId { get; set; }

    public long Seq { get; set; }

    public required string Kind { get; set; }

    public DateTimeOffset RangeFrom { get; set; }

    public DateTimeOffset RangeTo { get; set; }

    public int RowCount { get; set; }

    public Guid? FirstId { get; set; }

    public Guid? LastId { get; set; }

    // SHA-256 over the covered rows' hashes, concatenated in order.
    public required byte[] Root { get; set; }

    // The first 8 bytes of each covered row's hash, in order: locates a finding without re-reading the seal's rows twice.
    public required byte[] Digests { get; set; }

    public byte[]? PrevHash { get; set; }

    // Retention seals only: the chain's events before this instant were purged, and it verifies from here on.
    public DateTimeOffset? RetainedFrom { get; set; }

    public DateTimeOffset SealedAt { get; set; }

    public required string KeyId { get; set; }

    // SHA-256 of the canonical seal payload: what was signed, and what the next seal links to.
    public required byte[] SealHash { get; set; }

    // ECDSA P-256 over SealHash, DER-encoded (what KMS Sign returns).
    public required byte[] Signature { get; set; }
}
