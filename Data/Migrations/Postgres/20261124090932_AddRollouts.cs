using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AddRollouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AuthStatus",
                table: "Devices",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "CheckInAt",
                table: "Devices",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdentityData",
                table: "Devices",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Artifacts",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Description = table.Column<string>(type: "text", nullable: false),
                    DeviceTypes = table.Column<List<string>>(type: "text[]", nullable: false),
                    FormatVersion = table.Column<int>(type: "integer", nullable: false),
                    Signed = table.Column<bool>(type: "boolean", nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Metadata = table.Column<string>(type: "text", nullable: false),
                    FileName = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    ModifiedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Artifacts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DeviceAttributes",
                columns: table => new
                {
                    DeviceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Scope = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Value = table.Column<string>(type: "text", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceAttributes", x => new { x.DeviceId, x.Scope, x.Name });
                    table.ForeignKey(
                        name: "FK_DeviceAttributes_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "InventoryFilters",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Terms = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InventoryFilters", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MenderAuthSets",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    DeviceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    IdentityData = table.Column<string>(type: "text", nullable: false),
                    PublicKey = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MenderAuthSets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MenderAuthSets_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Rollouts",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ArtifactName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    TargetKind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Group = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    FilterId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    DeviceCount = table.Column<int>(type: "integer", nullable: false),
                    Retries = table.Column<int>(type: "integer", nullable: false),
                    MaxDevices = table.Column<int>(type: "integer", nullable: true),
                    FailureThresholdPercent = table.Column<double>(type: "double precision", nullable: true),
                    StateReason = table.Column<string>(type: "text", nullable: true),
                    Actor = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Rollouts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DeviceDeploymentLogs",
                columns: table => new
                {
                    RolloutId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    DeviceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Text = table.Column<string>(type: "text", nullable: false),
                    UploadedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceDeploymentLogs", x => new { x.RolloutId, x.DeviceId });
                    table.ForeignKey(
                        name: "FK_DeviceDeploymentLogs_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DeviceDeployments",
                columns: table => new
                {
                    RolloutId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    DeviceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    PhaseIndex = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Substate = table.Column<string>(type: "text", nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    ArtifactId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    DeviceType = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    HasLog = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceDeployments", x => new { x.RolloutId, x.DeviceId });
                    table.ForeignKey(
                        name: "FK_DeviceDeployments_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RolloutPhases",
                columns: table => new
                {
                    RolloutId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    BatchSize = table.Column<int>(type: "integer", nullable: true),
                    StartAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeviceCount = table.Column<int>(type: "integer", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RolloutPhases", x => new { x.RolloutId, x.Index });
                    table.ForeignKey(
                        name: "FK_RolloutPhases_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RolloutStatusCounts",
                columns: table => new
                {
                    RolloutId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RolloutStatusCounts", x => new { x.RolloutId, x.Status });
                    table.ForeignKey(
                        name: "FK_RolloutStatusCounts_Rollouts_RolloutId",
                        column: x => x.RolloutId,
                        principalTable: "Rollouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_AuthStatus",
                table: "Devices",
                column: "AuthStatus");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_IdentityData",
                table: "Devices",
                column: "IdentityData",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Artifacts_Name",
                table: "Artifacts",
                column: "Name");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceAttributes_Scope_Name",
                table: "DeviceAttributes",
                columns: new[] { "Scope", "Name" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceDeployments_DeviceId_Status",
                table: "DeviceDeployments",
                columns: new[] { "DeviceId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_DeviceDeployments_RolloutId_PhaseIndex_Status",
                table: "DeviceDeployments",
                columns: new[] { "RolloutId", "PhaseIndex", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_InventoryFilters_Name",
                table: "InventoryFilters",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MenderAuthSets_DeviceId",
                table: "MenderAuthSets",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_MenderAuthSets_IdentityData",
                table: "MenderAuthSets",
                column: "IdentityData");

            migrationBuilder.CreateIndex(
                name: "IX_Rollouts_CreatedAt",
                table: "Rollouts",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Rollouts_State",
                table: "Rollouts",
                column: "State");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Artifacts");

            migrationBuilder.DropTable(
                name: "DeviceAttributes");

            migrationBuilder.DropTable(
                name: "DeviceDeploymentLogs");

            migrationBuilder.DropTable(
                name: "DeviceDeployments");

            migrationBuilder.DropTable(
                name: "InventoryFilters");

            migrationBuilder.DropTable(
                name: "MenderAuthSets");

            migrationBuilder.DropTable(
                name: "RolloutPhases");

            migrationBuilder.DropTable(
                name: "RolloutStatusCounts");

            migrationBuilder.DropTable(
                name: "Rollouts");

            migrationBuilder.DropIndex(
                name: "IX_Devices_AuthStatus",
                table: "Devices");

            migrationBuilder.DropIndex(
                name: "IX_Devices_IdentityData",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "AuthStatus",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "CheckInAt",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "IdentityData",
                table: "Devices");
        }
    }
}
