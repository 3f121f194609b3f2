#!/usr/bin/env python3
"""moto_server, plus a placeholder model for the CloudFormation resource types moto cannot create.

moto skips an unsupported resource type, and then fails the whole stack (HTTP 500 or
"references undefined resource") as soon as a Ref, Fn::GetAtt or Output points at it. The
stacks of this project use several such types (RDS Proxy, WAF, CloudFront, Backup, ...), so
without help no stack that refers to them could be deployed at all. The placeholder stands in
for exactly those types: it accepts any properties, has a physical id and answers every
attribute with a recognisable string, so the CDK lifecycle (deploy, diff, destroy) and every
supported resource around it are exercised for real. Each placeholder type is appended once to
the file named by OH_MOTO_UNSUPPORTED_LOG, which the test prints and docs/infra.md lists.

Usage: moto_server_with_placeholders.py [moto_server arguments]
"""
import os
import sys
import threading

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

_LOG = os.environ.get("OH_MOTO_UNSUPPORTED_LOG")
_seen = set()
_lock = threading.Lock()


def _record(resource_type):
    with _lock:
        if resource_type in _seen:
            return
        _seen.add(resource_type)
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(resource_type + "\n")


def _placeholder_class(resource_type):
    class Placeholder(CloudFormationModel):
        # moto's model metaclass files every model under the service named in its module path.
        __module__ = "moto.cloudformation.placeholders"

        def __init__(self, name):
            self.name = name
            self.arn = None

        @staticmethod
        def cloudformation_name_type():
            return ""

        @staticmethod
        def cloudformation_type():
            return resource_type

        @classmethod
        def has_cfn_attr(cls, attr):
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
            placeholder = cls(resource_name)
            if resource_type == "AWS::CertificateManager::Certificate":
                # Listeners and distributions check that the certificate exists: request a real
                # one from moto's ACM, whose ARN becomes the Ref.
                from moto.acm.models import acm_backends

                properties = cloudformation_json.get("Properties", {})
                placeholder.arn = acm_backends[account_id][region_name].request_certificate(
                    properties.get("DomainName", "example.com"), None,
                    properties.get("SubjectAlternativeNames", []), [])
            return placeholder

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name):
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
            return None

        @property
        def physical_resource_id(self):
            return self.arn or f"placeholder-{self.name}"

        def get_cfn_attribute(self, attribute_name):
            return f"placeholder-{self.name}-{attribute_name}"

        def delete(self, account_id, region_name):
            return None

    Placeholder.__name__ = "Placeholder_" + resource_type.replace("::", "_")
    return Placeholder


_classes = {}
_original = parsing.resource_class_from_type


def _resource_class_from_type(resource_type):
    resource_class = _original(resource_type)
    if resource_class is None and resource_type.startswith("AWS::") and resource_type not in parsing.NULL_MODELS:
        _record(resource_type)
        with _lock:
            resource_class = _classes.setdefault(resource_type, _placeholder_class(resource_type))
    return resource_class


parsing.resource_class_from_type = _resource_class_from_type

# Errors of moto's own making (a supported model that crashes on a valid template, e.g. an Aurora
# instance whose cluster is a placeholder) rather than the emulated API's errors.
_MOTO_BUGS = (KeyError, AttributeError, TypeError, IndexError, ValueError, NotImplementedError)
_original_create = parsing.parse_and_create_resource
_original_delete = parsing.parse_and_delete_resource


def _parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
    try:
        return _original_create(logical_id, resource_json, resources_map, account_id, region_name)
    except _MOTO_BUGS as error:
        resource_type = resource_json.get("Type", "?")
        _record(f"{resource_type} (moto fails: {type(error).__name__}: {str(error)[:80]})")
        with _lock:
            placeholder_class = _classes.setdefault(resource_type, _placeholder_class(resource_type))
        resource = placeholder_class(logical_id)
        resource.cf_resource_type = resource_type
        resource.logical_resource_id = logical_id
        return resource


def _parse_and_delete_resource(*args, **kwargs):
    try:
        return _original_delete(*args, **kwargs)
    except _MOTO_BUGS as error:
        _record(f"delete failed in moto: {type(error).__name__}: {str(error)[:80]}")
        return None


parsing.parse_and_create_resource = _parse_and_create_resource
parsing.parse_and_delete_resource = _parse_and_delete_resource

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
