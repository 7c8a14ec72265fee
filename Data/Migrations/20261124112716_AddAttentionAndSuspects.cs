using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class AddAttentionAndSuspects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AttentionAcknowledgements",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectKind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    AcknowledgedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    AcknowledgedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AttentionAcknowledgements", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SuspectMarks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubjectKind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SubjectId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ChangeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Verdict = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    MarkedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    MarkedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SuspectMarks", x => x.Id);
                });

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
                name: "SuspectMarks");
        }
    }
}
