{{/*
The chart holds no copy of the manifests. It reads the Kustomize base
(files/base, a link to argo/base) and the generated monitoring objects
(files/standard, a link to argo/standard) as data, and patches what the
values change. Argo's own {{...}} expressions in those files stay data:
fromYaml never runs them as Helm templates. A change to the base reaches
the chart by itself; tests/helm.rs checks that with the default values the
rendered objects are the Kustomize base's, labels aside.

Helpers that patch take a dict and change the objects in it in place
(sprig's set); those that return objects print YAML for fromYaml.
*/}}

{{/* The repository of the simplepipe image the base's files name: its
containers get .Values.image. */}}
{{- define "simplepipe.baseImage" -}}
ghcr.io/simplepipe/simplepipe
{{- end }}

{{/* Labels every object gets, on top of its own and the base's
commonLabels. */}}
{{- define "simplepipe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* The objects of a kustomization's resources, in its order, as a YAML
list. Args: root, dir ("files/base"). Comment-only documents are skipped. */}}
{{- define "simplepipe.objects" -}}
{{- $k := .root.Files.Get (printf "%s/kustomization.yaml" .dir) | fromYaml }}
{{- $objects := list }}
{{- range $file := $k.resources }}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" ($.root.Files.Get (printf "%s/%s" $.dir $file)) -1 }}
{{- $o := fromYaml $doc }}
{{- if hasKey $o "Error" }}
{{- fail (printf "%s/%s: %s" $.dir $file $o.Error) }}
{{- end }}
{{- if $o }}
{{- $objects = append $objects $o }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml (dict "objects" $objects "commonLabels" ($k.commonLabels | default dict)) }}
{{- end }}

{{/* Set an object's labels: the values' (extra), the chart's, the
kustomization's commonLabels, then the object's own; the first wins.
Args: root, o, common, extra. */}}
{{- define "simplepipe.label" -}}
{{- $chart := include "simplepipe.labels" .root | fromYaml }}
{{- $own := .o.metadata.labels | default dict }}
{{- $_ := set .o.metadata "labels" (merge (dict) (.extra | default dict) $chart .common $own) }}
{{- end }}

{{/* The env a container that pushes needs for the credentials, by
reference to Secrets only. A container that can push by remote write too
(it has SIMPLEPIPE_REMOTE_WRITE, chosen by the template's remote-write
parameter like SIMPLEPIPE_GATEWAY) gets each set only for its own
destination: the Secret's value goes into a SECRET_* variable, and the
SIMPLEPIPE_* one refers to it ($(VAR), expanded by Kubernetes) under the
same Argo expression the base uses to choose the destination, so a gateway
password never reaches a remote-write endpoint nor a token the gateway.
Args: c (the container), v (.Values). */}}
{{- define "simplepipe.credentials" -}}
{{- $rw := false }}
{{- range .c.env }}
{{- if eq .name "SIMPLEPIPE_REMOTE_WRITE" }}{{ $rw = true }}{{ end }}
{{- end }}
{{- $ref := dict "SIMPLEPIPE_USERNAME" (list .v.gateway.basicAuth.existingSecret .v.gateway.basicAuth.usernameKey "SECRET_GATEWAY_USERNAME" "gateway")
                 "SIMPLEPIPE_PASSWORD" (list .v.gateway.basicAuth.existingSecret .v.gateway.basicAuth.passwordKey "SECRET_GATEWAY_PASSWORD" "gateway")
                 "SIMPLEPIPE_BEARER_TOKEN" (list .v.remoteWrite.bearerTokenSecret.name .v.remoteWrite.bearerTokenSecret.key "SECRET_REMOTE_WRITE_TOKEN" "remote-write") }}
{{- $env := .c.env }}
{{- range $name := list "SIMPLEPIPE_USERNAME" "SIMPLEPIPE_PASSWORD" "SIMPLEPIPE_BEARER_TOKEN" }}
{{- $secret := index $ref $name 0 }}
{{- $key := index $ref $name 1 }}
{{- $hidden := index $ref $name 2 }}
{{- $for := index $ref $name 3 }}
{{- $from := dict "secretKeyRef" (dict "name" $secret "key" $key) }}
{{- if and $secret $rw }}
{{- $when := ternary "''" (printf "'$(%s)'" $hidden) (eq $for "remote-write") }}
{{- $else := ternary (printf "'$(%s)'" $hidden) "''" (eq $for "remote-write") }}
{{- $env = append $env (dict "name" $hidden "valueFrom" $from) }}
{{- $env = append $env (dict "name" $name "value" (printf "{{=inputs.parameters['remote-write'] == '' ? %s : %s}}" $when $else)) }}
{{- else if and $secret (eq $for "gateway") }}
{{- $env = append $env (dict "name" $name "valueFrom" $from) }}
{{- end }}
{{- end }}
{{- $_ := set .c "env" $env }}
{{- end }}

{{/* Patch one Argo template (of a WorkflowTemplate or a CronWorkflow):
the gateway and remote-write parameters' defaults, the simplepipe image,
the gateway of a container that names it, and the credentials.
Args: t, v, image. */}}
{{- define "simplepipe.argoTemplate" -}}
{{- $v := .v }}
{{- range $p := (.t.inputs | default dict).parameters }}
{{- if eq $p.name "gateway" }}{{ $_ := set $p "value" $v.gateway.url }}{{ end }}
{{- if eq $p.name "remote-write" }}{{ $_ := set $p "value" $v.remoteWrite.url }}{{ end }}
{{- end }}
{{- $containers := .t.initContainers | default list }}
{{- if .t.container }}{{ $containers = append $containers .t.container }}{{ end }}
{{- range $c := $containers }}
{{- if hasPrefix (printf "%s:" (include "simplepipe.baseImage" .)) $c.image }}
{{- $_ := set $c "image" $.image }}
{{- end }}
{{- range $e := $c.env }}
{{- if and (eq $e.name "SIMPLEPIPE_GATEWAY") (not (contains "{{" ($e.value | default ""))) }}
{{- $_ := set $e "value" $v.gateway.url }}
{{- end }}
{{- end }}
{{- range $c.env }}
{{- if eq .name "SIMPLEPIPE_GATEWAY" }}{{ include "simplepipe.credentials" (dict "c" $c "v" $v) }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* One of argo/standard's objects, or the team's own given as a
values string. Args: root, kind, given. */}}
{{- define "simplepipe.standard" -}}
{{- $o := dict }}
{{- if .given }}
{{- $o = fromYaml .given }}
{{- if or (hasKey $o "Error") (ne ($o.kind | default "") .kind) }}
{{- fail (printf "monitoring.standard: expected a %s as simplepipe generates it, got %s" .kind (($o.kind | default $o.Error) | default "no kind")) }}
{{- end }}
{{- else }}
{{- range (include "simplepipe.objects" (dict "root" .root "dir" "files/standard") | fromYaml).objects }}
{{- if eq .kind $.kind }}{{ $o = . }}{{ end }}
{{- end }}
{{- end }}
{{- toYaml $o }}
{{- end }}
