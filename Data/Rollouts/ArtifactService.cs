using Dashboard.Data.Audit;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data.Rollouts.Artifacts;
using Dashboard.Data.Timeline;
using Dashboard.Data.Work;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Data.Rollouts;

/// <summary>
/// Uploaded <c>.mender</c> files: each is verified by <see cref="MenderArtifactReader"/> (format,
/// manifest checksums, header) before anything is stored; the file goes to the data directory's
/// <c>artifacts</c> folder, the row keeps what the header says in the shape Mender's list shows.
/// </summary>
public sealed class ArtifactService(IDbContextFactory<DashboardDbContext> dbFactory, DashboardSettings settings, StateRecorder recorder, TimeProvider clock, AuditLog audit)
{
    /// <summary>Uploads above this are refused before they are read to the end.</summary>
    public const long MaxBytes = 4L * 1024 * 1024 * 1024;

    public string Directory => Path.Combine(Path.GetFullPath(settings.DataDirectory), "artifacts");

    public string PathOf(Artifact artifact) => Path.Combine(Directory, artifact.FileName);

    /// <summary>Stores and registers an upload. A corrupt, tampered or non-Mender file is a <see cref="ValidationException"/> and leaves nothing behind.</summary>
    public async Task<Artifact> UploadAsync(Stream content, long? declaredSize, string? description, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.ArtifactUpload, AuditTargets.Artifact, null);
        if (declaredSize is < 0) throw new ValidationException("size", "size: must not be negative");
        if (description is { Length: > 4096 }) throw new ValidationException("description", "description: at most 4096 characters");
        System.IO.Directory.CreateDirectory(Directory);
        var id = Guid.NewGuid().ToString();
        var temporary = Path.Combine(Directory, $".upload-{id}");
        try
        {
            long written;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    if (file.Length + read > MaxBytes) throw new ValidationException("artifact", $"artifact: larger than {MaxBytes / (1024 * 1024)} MiB");
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                written = file.Length;
            }
            if (written == 0) throw new ValidationException("artifact", "artifact: the file is empty");
            if (declaredSize is { } size && size != written)
                throw new ValidationException("size", $"size: the form says {size} bytes but {written} bytes arrived");

            MenderArtifact parsed;
            try { parsed = await MenderArtifactReader.ReadAsync(temporary, ct); }
            catch (ArtifactFormatException ex) { throw new ValidationException("artifact", $"not a valid Mender artifact: {ex.Message}"); }

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var sameName = await db.Artifacts.AsNoTracking().Where(a => a.Name == parsed.Name).ToListAsync(ct);
            if (sameName.FirstOrDefault(a => a.DeviceTypes.Intersect(parsed.DeviceTypesCompatible).Any()) is { } clash)
                throw new ConflictException($"an artifact named '{parsed.Name}' for device type '{clash.DeviceTypes.Intersect(parsed.DeviceTypesCompatible).First()}' already exists (id {clash.Id})");

            var artifact = new Artifact
            {
                Id = id,
                Name = parsed.Name,
                Description = description ?? "",
                DeviceTypes = [.. parsed.DeviceTypesCompatible],
                FormatVersion = parsed.FormatVersion,
                Signed = parsed.Signed,
                Size = written,
                Metadata = MetadataJson(parsed),
                FileName = $"{id}.mender",
                ModifiedAt = clock.GetUtcNow().UtcDateTime,
            };
            File.Move(temporary, PathOf(artifact));
            db.Artifacts.Add(artifact);
            recorder.Note(db, Subject(artifact, actor), TimelineStatuses.Info,
                $"Artifact {artifact.Name} uploaded for {string.Join(", ", artifact.DeviceTypes)}", actor: actor);
            audit.Add(db, AuditActions.ArtifactUpload, AuditTargets.Artifact, artifact.Id, $"{artifact.Name} for {string.Join(", ", artifact.DeviceTypes)}.");
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch
            {
                File.Delete(PathOf(artifact));
                throw;
            }
            return artifact;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    public async Task<List<Artifact>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Artifacts.AsNoTracking().OrderByDescending(a => a.ModifiedAt).ToListAsync(ct);
    }

    /// <summary>
    /// Mender's v1 <c>artifacts/list</c>: <paramref name="name"/> is a prefix, <paramref name="description"/> a
    /// substring, <paramref name="deviceType"/> one of the compatible types; sorted by name or modified time.
    /// </summary>
    public async Task<(List<Artifact> Artifacts, int Total)> ListPageAsync(string? name, string? description, string? deviceType, string sort, int page, int perPage, CancellationToken ct = default)
    {
        var all = await ListAsync(ct);
        IEnumerable<Artifact> q = all;
        if (!string.IsNullOrEmpty(name)) q = q.Where(a => a.Name.StartsWith(name, StringComparison.Ordinal));
        if (!string.IsNullOrEmpty(description)) q = q.Where(a => a.Description?.Contains(description, StringComparison.Ordinal) == true);
        if (!string.IsNullOrEmpty(deviceType)) q = q.Where(a => a.DeviceTypes.Contains(deviceType));
        q = sort switch
        {
            "name:asc" => q.OrderBy(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id, StringComparer.Ordinal),
            "name:desc" => q.OrderByDescending(a => a.Name, StringComparer.Ordinal).ThenBy(a => a.Id, StringComparer.Ordinal),
            "modified:asc" => q.OrderBy(a => a.ModifiedAt).ThenBy(a => a.Id, StringComparer.Ordinal),
            "modified:desc" => q.OrderByDescending(a => a.ModifiedAt).ThenBy(a => a.Id, StringComparer.Ordinal),
            _ => throw new ValidationException("sort", $"invalid sort '{sort}': use name:asc, name:desc, modified:asc or modified:desc"),
        };
        var matching = q.ToList();
        return ([.. matching.Skip((page - 1) * perPage).Take(perPage)], matching.Count);
    }

    /// <summary>Bytes the stored artifacts take (Mender's storage usage; there is no limit here).</summary>
    public async Task<long> StorageUsageAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.Artifacts.AsNoTracking().Select(a => a.Size).ToListAsync(ct)).Sum();
    }

    public async Task<Artifact> GetAsync(string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Artifacts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct) ?? throw new NotFoundException("Artifact", id);
    }

    public async Task UpdateDescriptionAsync(string id, string? description, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.ArtifactEdit, AuditTargets.Artifact, id);
        if (description is { Length: > 4096 }) throw new ValidationException("description", "description: at most 4096 characters");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await db.Artifacts.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Description, description ?? ""), ct) == 0)
            throw new NotFoundException("Artifact", id);
        audit.Add(db, AuditActions.ArtifactEdit, AuditTargets.Artifact, id, "Description changed.");
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>Deletes an artifact no unfinished rollout needs (Mender refuses those with 409).</summary>
    public async Task DeleteAsync(string id, string? actor, CancellationToken ct = default)
    {
        audit.Attempt(AuditActions.ArtifactDelete, AuditTargets.Artifact, id);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var artifact = await db.Artifacts.FirstOrDefaultAsync(a => a.Id == id, ct) ?? throw new NotFoundException("Artifact", id);
        var othersWithName = await db.Artifacts.CountAsync(a => a.Name == artifact.Name && a.Id != id, ct);
        var inUse = await db.Rollouts.AnyAsync(r => r.ArtifactName == artifact.Name
            && (r.State == RolloutStates.Scheduled || r.State == RolloutStates.InProgress || r.State == RolloutStates.Stopped), ct);
        if (inUse && othersWithName == 0) throw new ConflictException($"artifact '{artifact.Name}' is used by an active deployment");
        db.Artifacts.Remove(artifact);
        recorder.Note(db, Subject(artifact, actor), TimelineStatuses.Canceled, $"Artifact {artifact.Name} deleted", actor: actor);
        audit.Add(db, AuditActions.ArtifactDelete, AuditTargets.Artifact, id, $"{artifact.Name} deleted.");
        await db.SaveChangesAsync(ct);
        try { File.Delete(PathOf(artifact)); }
        catch (IOException) { /* a download still has it open; the file is orphaned, the row is gone */ }
    }

    private static RecordedSubject Subject(Artifact artifact, string? actor) =>
        new(SubjectKinds.Artifact, artifact.Id, TimelineSources.Rollouts, artifact.Name, Actor: actor);

    /// <summary>
    /// The header as Mender's artifact list shows it; mender-cli decodes <c>updates[].meta_data</c>
    /// as an array, so a payload's meta-data object is wrapped in one.
    /// </summary>
    private static string MetadataJson(MenderArtifact parsed) => new JsonObject
    {
        ["updates"] = new JsonArray([.. parsed.Payloads.Select(p => (JsonNode)new JsonObject
        {
            ["type_info"] = new JsonObject { ["type"] = p.Type },
            ["files"] = new JsonArray([.. p.Files.Select(f => (JsonNode)new JsonObject
            {
                ["name"] = f.Name,
                ["checksum"] = f.Checksum,
                ["size"] = f.Size,
                ["date"] = f.Date is { } date ? JsonValue.Create(date) : null,
            })]),
            ["meta_data"] = p.MetaData is { } meta ? new JsonArray(JsonNode.Parse(meta.GetRawText())) : new JsonArray(),
        })]),
        ["artifact_provides"] = JsonSerializer.SerializeToNode(parsed.Provides),
        ["artifact_depends"] = JsonSerializer.SerializeToNode(parsed.Depends),
        ["clears_artifact_provides"] = JsonSerializer.SerializeToNode(parsed.ClearsProvides),
    }.ToJsonString();
}
