using Dashboard.Data;
using Dashboard.Data.Auth;

namespace Dashboard.App.Tests.Auth;

public sealed class NamespacePolicyTests
{
    [Fact]
    public void Normalize_KeepsOneEntryPerNamespace_WriteOverRead_AndNomadsCapabilityNames()
    {
        Assert.Equal(["edge", "web", "*:read", "api:read"],
            NamespacePolicy.Normalize([" web ", "edge:submit-job", "web:read", "api:read-job", "*:read", "", "api:read"]));
        Assert.Null(NamespacePolicy.Normalize(null));
        Assert.Null(NamespacePolicy.Normalize(["", " "]));
    }

    [Theory]
    [InlineData("web/prod")]
    [InlineData("web:admin")]
    [InlineData("w*")]
    public void Normalize_RefusesWhatIsNotANamespaceOrCapability(string entry)
    {
        var error = Assert.Throws<ValidationException>(() => NamespacePolicy.Normalize([entry]));
        Assert.Equal("namespaces", error.Field);
    }

    [Theory]
    [InlineData("web", NamespacePolicy.ReadJob, true)]
    [InlineData("web", NamespacePolicy.SubmitJob, true)]
    [InlineData("api", NamespacePolicy.ReadJob, true)]
    [InlineData("api", NamespacePolicy.SubmitJob, false)]
    [InlineData("default", NamespacePolicy.ReadJob, false)]
    [InlineData("default", NamespacePolicy.SubmitJob, false)]
    public void Allows_ReadOnlyEntriesOnlyRead_AndNothingOutsideThePolicy(string ns, string capability, bool allowed) =>
        Assert.Equal(allowed, NamespacePolicy.Allows(["web", "api:read"], ns, capability));

    [Fact]
    public void Star_AllowsEveryNamespace_AndNoPolicyIsNoRestriction()
    {
        Assert.True(NamespacePolicy.Allows(["*:read"], "anything", NamespacePolicy.ReadJob));
        Assert.False(NamespacePolicy.Allows(["*:read"], "anything", NamespacePolicy.SubmitJob));
        Assert.True(NamespacePolicy.Allows(null, "anything", NamespacePolicy.SubmitJob));
        Assert.Null(NamespacePolicy.Readable(["web", "*:read"]));
        Assert.Null(NamespacePolicy.Readable(null));
        Assert.Equal(["web", "api"], NamespacePolicy.Readable(["web", "api:read"]));
    }
}
