using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Dashboard.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddCockpitAndAccessControl : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex",
                table: "CanaryDeployments");

            migrationBuilder.AddColumn<DateTime>(
                name: "DisabledAt",
                table: "Users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SecurityStamp",
                table: "Users",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiresAt",
                table: "ApiTokens",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "Namespaces",
                table: "ApiTokens",
                type: "text[]",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AttentionAcknowledgements",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SubjectKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    AcknowledgedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    AcknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AttentionAcknowledgements", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ActorKind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    TokenId = table.Column<int>(type: "integer", nullable: true),
                    SessionId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    RemoteAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    TargetKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    TargetId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Detail = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FreezeOverrides",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    FreezeId = table.Column<Guid>(type: "uuid", nullable: false),
                    FreezeName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    SubjectKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FreezeOverrides", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FreezeWaits",
                columns: table => new
                {
                    SubjectKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    FreezeId = table.Column<Guid>(type: "uuid", nullable: false),
                    FreezeName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Since = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Until = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FreezeWaits", x => new { x.SubjectKind, x.SubjectId });
                });

            migrationBuilder.CreateTable(
                name: "Freezes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    StartsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    TimeZone = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    StartDay = table.Column<int>(type: "integer", nullable: true),
                    StartTime = table.Column<TimeOnly>(type: "time without time zone", nullable: true),
                    EndDay = table.Column<int>(type: "integer", nullable: true),
                    EndTime = table.Column<TimeOnly>(type: "time without time zone", nullable: true),
                    Projects = table.Column<List<string>>(type: "text[]", nullable: false),
                    Components = table.Column<List<string>>(type: "text[]", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Freezes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SuspectMarks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SubjectKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ChangeId = table.Column<Guid>(type: "uuid", nullable: false),
                    Verdict = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    MarkedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    MarkedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SuspectMarks", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_JobId_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "JobId", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "JobId", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_Status_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "Status", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Status_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Status", "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AttentionAcknowledgements_AcknowledgedAt",
                table: "AttentionAcknowledgements",
                column: "AcknowledgedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AttentionAcknowledgements_SubjectKind_SubjectId",
                table: "AttentionAcknowledgements",
                columns: new[] { "SubjectKind", "SubjectId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_Action_Id",
                table: "AuditEntries",
                columns: new[] { "Action", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_At",
                table: "AuditEntries",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_FreezeOverrides_SubjectKind_SubjectId",
                table: "FreezeOverrides",
                columns: new[] { "SubjectKind", "SubjectId" });

            migrationBuilder.CreateIndex(
                name: "IX_Freezes_Name",
                table: "Freezes",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SuspectMarks_SubjectKind_SubjectId_ChangeId",
                table: "SuspectMarks",
                columns: new[] { "SubjectKind", "SubjectId", "ChangeId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AttentionAcknowledgements");

            migrationBuilder.DropTable(
                name: "AuditEntries");

            migrationBuilder.DropTable(
                name: "FreezeOverrides");

            migrationBuilder.DropTable(
                name: "FreezeWaits");

            migrationBuilder.DropTable(
                name: "Freezes");

            migrationBuilder.DropTable(
                name: "SuspectMarks");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_JobId_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_Status_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Status_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropColumn(
                name: "DisabledAt",
                table: "Users");

            migrationBuilder.DropColumn(
                name: "SecurityStamp",
                table: "Users");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "ApiTokens");

            migrationBuilder.DropColumn(
                name: "Namespaces",
                table: "ApiTokens");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_JobId_CreateIndex",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "JobId", "CreateIndex" });
        }
    }
}
