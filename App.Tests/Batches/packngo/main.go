// Drives the Debian packngo client (golang-github-packethost-packngo-dev 0.2.0), unchanged,
// against a Dashboard server: BatchService Create, List, Get and Delete.
// Usage: go run main.go BASE_URL TOKEN PROJECT_ID
// Build in GOPATH mode: GO111MODULE=off GOPATH=/usr/share/gocode go run main.go ...
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/packethost/packngo"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: main BASE_URL TOKEN PROJECT_ID")
	}
	baseURL, token, project := os.Args[1], os.Args[2], os.Args[3]
	client, err := packngo.NewClientWithBaseURL("packngo-compat-test", token, nil, baseURL)
	if err != nil {
		fail("client: %v", err)
	}

	prefix := fmt.Sprintf("go%d", time.Now().UnixNano()%1000000)
	request := &packngo.BatchCreateRequest{Batches: []packngo.BatchCreateDevice{{
		DeviceCreateRequest: packngo.DeviceCreateRequest{
			Hostname:     prefix + "-{{index}}",
			Plan:         "c2.medium.x86",
			Facility:     []string{"ewr1", "any"},
			OS:           "ubuntu_22_04",
			BillingCycle: "hourly",
			Tags:         []string{"packngo"},
		},
		Quantity:               3,
		FacilityDiversityLevel: 1,
	}}}
	created, _, err := client.Batches.Create(project, request)
	if err != nil {
		fail("Create: %v", err)
	}
	if len(created) != 1 || created[0].ID == "" || created[0].Quantity != 3 || created[0].State != "queued" {
		fail("Create returned %+v", created)
	}
	id := created[0].ID

	var batch *packngo.Batch
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		batch, _, err = client.Batches.Get(id, nil)
		if err != nil {
			fail("Get: %v", err)
		}
		if batch.State == "completed" || batch.State == "failed" {
			break
		}
		if time.Now().After(deadline) {
			fail("batch %s still %s", id, batch.State)
		}
	}
	if batch.State != "completed" || len(batch.Devices) != 3 || batch.CreatedAt == nil || batch.Project.Href == "" {
		fail("Get returned %+v", batch)
	}
	for i, d := range batch.Devices {
		want := fmt.Sprintf("%s-%d", prefix, i+1)
		if d.Hostname != want || d.Facility == nil || d.Facility.Code != "ewr1" || d.Plan == nil || d.Plan.Slug != "c2.medium.x86" ||
			d.OS == nil || d.OS.Slug != "ubuntu_22_04" || d.State != "active" {
			fail("device %d: %+v (want %s in ewr1, active)", i, d, want)
		}
	}

	list, _, err := client.Batches.List(project, nil)
	if err != nil {
		fail("List: %v", err)
	}
	found := false
	for _, b := range list {
		found = found || b.ID == id
	}
	if !found {
		fail("List does not contain %s", id)
	}

	// Bad input comes back as a Packet error the client understands.
	bad := &packngo.BatchCreateRequest{Batches: []packngo.BatchCreateDevice{{
		DeviceCreateRequest: packngo.DeviceCreateRequest{Hostname: "x{{indx}}", Plan: "c2.medium.x86", Facility: []string{"any"}, OS: "ubuntu_22_04"},
		Quantity:            2,
	}}}
	if _, resp, err := client.Batches.Create(project, bad); err == nil || resp == nil || resp.StatusCode != 422 {
		fail("Create with a misspelled {{index}} should fail with 422, got %v", err)
	} else if e, ok := err.(*packngo.ErrorResponse); !ok || len(e.Errors) != 1 {
		fail("error body not understood: %v", err)
	}

	if _, err := client.Batches.Delete(id, true); err != nil {
		fail("Delete: %v", err)
	}
	if _, resp, err := client.Batches.Get(id, nil); err == nil || resp.StatusCode != 404 {
		fail("Get after Delete should be 404, got %v", err)
	}
	fmt.Println("OK: packngo BatchService Create, List, Get, Delete")
}
