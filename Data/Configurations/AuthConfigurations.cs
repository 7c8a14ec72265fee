using Dashboard.Data.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dashboard.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.HasKey(u => u.Id);
        b.Property(u => u.UserName).HasMaxLength(100);
        b.Property(u => u.Role).HasMaxLength(32);
        b.Property(u => u.SecurityStamp).HasMaxLength(64);
        b.HasIndex(u => u.UserName).IsUnique();
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.HasKey(t => t.Id);
        b.Property(t => t.Name).HasMaxLength(100);
        b.Property(t => t.Prefix).HasMaxLength(16);
        b.Property(t => t.SecretHash).HasMaxLength(128);
        b.HasIndex(t => t.SecretHash).IsUnique();
    }
}
